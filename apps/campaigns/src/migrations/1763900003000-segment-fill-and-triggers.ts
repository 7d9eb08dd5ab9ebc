import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The membership projection keeps exits (`member` false) with the time of the last change, so a
 * fill page from ListSegmentMembers and live SegmentMembershipChanged messages apply in time
 * order; the fill's state per segment; triggered campaigns and their firings.
 */
export class SegmentFillAndTriggers1763900003000 implements MigrationInterface {
  name = 'SegmentFillAndTriggers1763900003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE campaign_segment_member
        ADD COLUMN member boolean NOT NULL DEFAULT true,
        ADD COLUMN changed_at timestamptz`);
    await queryRunner.query(`UPDATE campaign_segment_member SET changed_at = entered_at`);
    await queryRunner.query(`ALTER TABLE campaign_segment_member ALTER COLUMN changed_at SET NOT NULL`);
    // Audience pages read the members of a segment in profile id order.
    await queryRunner.query(`CREATE INDEX campaign_segment_member_page ON campaign_segment_member (project_id, segment_id, profile_id) WHERE member`);
    await queryRunner.query(`
      CREATE TABLE campaign_segment_fill (
        project_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        after_profile_id uuid,
        requested_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (project_id, segment_id)
      )`);
    await queryRunner.query(`
      ALTER TABLE campaign
        ADD COLUMN trigger jsonb,
        ADD COLUMN sending_since timestamptz`);
    await queryRunner.query(`CREATE INDEX campaign_triggered ON campaign (project_id) WHERE trigger IS NOT NULL AND status IN ('scheduled', 'running')`);
    // One row per trigger that fired for a profile (one per cause: event or membership message).
    await queryRunner.query(`
      CREATE TABLE campaign_trigger_fire (
        id uuid PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        cause_id text NOT NULL,
        triggered_at timestamptz NOT NULL,
        fire_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'sent', 'cancelled')),
        cancel_reason text,
        follow_up_at timestamptz,
        UNIQUE (campaign_id, cause_id)
      )`);
    await queryRunner.query(`CREATE INDEX campaign_trigger_fire_profile ON campaign_trigger_fire (campaign_id, profile_id, triggered_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE campaign_trigger_fire, campaign_segment_fill`);
    await queryRunner.query(`DROP INDEX campaign_triggered`);
    await queryRunner.query(`ALTER TABLE campaign DROP COLUMN trigger, DROP COLUMN sending_since`);
    await queryRunner.query(`DELETE FROM campaign_segment_member WHERE NOT member`);
    await queryRunner.query(`DROP INDEX campaign_segment_member_page`);
    await queryRunner.query(`ALTER TABLE campaign_segment_member DROP COLUMN member, DROP COLUMN changed_at`);
  }
}
