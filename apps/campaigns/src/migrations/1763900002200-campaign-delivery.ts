import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Campaign definitions (audience, email template, recurrence, control group, throttle), project delivery rules, the membership projection, occurrences and deliveries. */
export class CampaignDelivery1763900002200 implements MigrationInterface {
  name = 'CampaignDelivery1763900002200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE campaign
        ADD COLUMN audience jsonb NOT NULL DEFAULT '{"everyone": false, "include": [], "exclude": []}',
        ADD COLUMN template_id uuid,
        ADD COLUMN template_version int CHECK (template_version >= 1),
        ADD COLUMN quiet_hours text NOT NULL DEFAULT 'defer' CHECK (quiet_hours IN ('defer', 'drop')),
        ADD COLUMN control_percent int NOT NULL DEFAULT 0 CHECK (control_percent = 0 OR control_percent BETWEEN 2 AND 99),
        ADD COLUMN throttle_per_minute int CHECK (throttle_per_minute >= 1)`);
    await queryRunner.query(`UPDATE campaign SET audience = jsonb_build_object('everyone', false, 'include', jsonb_build_array(audience_segment_id), 'exclude', '[]'::jsonb) WHERE audience_segment_id IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE campaign_settings (
        project_id uuid PRIMARY KEY,
        holdout_percent int NOT NULL DEFAULT 0 CHECK (holdout_percent BETWEEN 0 AND 10),
        time_zone text NOT NULL DEFAULT 'UTC',
        quiet_start text CHECK (quiet_start ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        quiet_end text CHECK (quiet_end ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        email_cap_max int CHECK (email_cap_max >= 1),
        email_cap_days int CHECK (email_cap_days >= 1),
        min_gap_minutes int CHECK (min_gap_minutes >= 1),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE campaign_segment_member (
        segment_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        project_id uuid NOT NULL,
        entered_at timestamptz NOT NULL,
        PRIMARY KEY (segment_id, profile_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE campaign_occurrence (
        campaign_id uuid NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
        occurrence_at timestamptz NOT NULL,
        project_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done')),
        after_profile_id uuid,
        batches int NOT NULL DEFAULT 0,
        started_at timestamptz,
        finished_at timestamptz,
        PRIMARY KEY (campaign_id, occurrence_at)
      )`);
    await queryRunner.query(`
      CREATE TABLE campaign_delivery (
        campaign_id uuid NOT NULL,
        occurrence_at timestamptz NOT NULL,
        profile_id uuid NOT NULL,
        project_id uuid NOT NULL,
        channel text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('requested', 'skipped')),
        reason text CHECK ((outcome = 'skipped') = (reason IS NOT NULL)),
        decided_at timestamptz NOT NULL,
        PRIMARY KEY (campaign_id, occurrence_at, profile_id),
        FOREIGN KEY (campaign_id, occurrence_at) REFERENCES campaign_occurrence (campaign_id, occurrence_at) ON DELETE CASCADE
      )`);
    // Frequency caps and minimum gaps read a profile's recent sends across the project's campaigns.
    await queryRunner.query(`CREATE INDEX campaign_delivery_requested ON campaign_delivery (project_id, profile_id, channel, decided_at) WHERE outcome = 'requested'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE campaign_delivery, campaign_occurrence, campaign_segment_member, campaign_settings`);
    await queryRunner.query(`ALTER TABLE campaign DROP COLUMN audience, DROP COLUMN template_id, DROP COLUMN template_version, DROP COLUMN quiet_hours, DROP COLUMN control_percent, DROP COLUMN throttle_per_minute`);
  }
}
