import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Conversion goals (an event within N days of the decision) and the conversions counted against them. */
export class CampaignGoals1763900002300 implements MigrationInterface {
  name = 'CampaignGoals1763900002300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE campaign
        ADD COLUMN goal_event text CHECK (char_length(goal_event) BETWEEN 1 AND 200),
        ADD COLUMN goal_days int CHECK (goal_days BETWEEN 1 AND 90),
        ADD CONSTRAINT campaign_goal_complete CHECK ((goal_event IS NULL) = (goal_days IS NULL))`);
    await queryRunner.query(`CREATE INDEX campaign_goal ON campaign (project_id, goal_event) WHERE goal_event IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE campaign_conversion (
        campaign_id uuid NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
        profile_id uuid NOT NULL,
        project_id uuid NOT NULL,
        control boolean NOT NULL,
        converted_at timestamptz NOT NULL,
        event_id uuid NOT NULL,
        PRIMARY KEY (campaign_id, profile_id)
      )`);
    // Conversions join a profile's decisions by campaign and profile.
    await queryRunner.query(`CREATE INDEX campaign_delivery_profile ON campaign_delivery (campaign_id, profile_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX campaign_delivery_profile`);
    await queryRunner.query(`DROP TABLE campaign_conversion`);
    await queryRunner.query(`ALTER TABLE campaign DROP CONSTRAINT campaign_goal_complete, DROP COLUMN goal_event, DROP COLUMN goal_days`);
  }
}
