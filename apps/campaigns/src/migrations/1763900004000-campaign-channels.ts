import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Channel content (in-app message, webhook target), in-app messages per profile, webhook deliveries (and their dead letters), engagement per campaign and profile. */
export class CampaignChannels1763900004000 implements MigrationInterface {
  name = 'CampaignChannels1763900004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign ADD COLUMN in_app jsonb, ADD COLUMN webhook jsonb`);
    await queryRunner.query(`
      CREATE TABLE campaign_in_app_message (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        campaign_id uuid NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
        profile_id uuid NOT NULL,
        idempotency_key text NOT NULL,
        variant text,
        content jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        UNIQUE (project_id, idempotency_key)
      )`);
    // inAppMessages reads one profile's live messages, newest first.
    await queryRunner.query(`CREATE INDEX campaign_in_app_message_profile ON campaign_in_app_message (project_id, profile_id, created_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE campaign_webhook_delivery (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        campaign_id uuid NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
        profile_id uuid NOT NULL,
        idempotency_key text NOT NULL,
        url text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts int NOT NULL DEFAULT 0,
        response_status int,
        last_error text,
        created_at timestamptz NOT NULL,
        finished_at timestamptz,
        UNIQUE (project_id, idempotency_key)
      )`);
    await queryRunner.query(`CREATE INDEX campaign_webhook_delivery_campaign ON campaign_webhook_delivery (project_id, campaign_id, status)`);
    await queryRunner.query(`
      CREATE TABLE campaign_engagement (
        campaign_id uuid NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
        profile_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('sent', 'delivered', 'opened', 'clicked', 'dismissed', 'bounced', 'unsubscribed', 'failed')),
        project_id uuid NOT NULL,
        first_at timestamptz NOT NULL,
        times int NOT NULL DEFAULT 1,
        PRIMARY KEY (campaign_id, profile_id, kind)
      )`);
    await queryRunner.query(`CREATE INDEX campaign_engagement_profile ON campaign_engagement (project_id, profile_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE campaign_engagement, campaign_webhook_delivery, campaign_in_app_message`);
    await queryRunner.query(`ALTER TABLE campaign DROP COLUMN in_app, DROP COLUMN webhook`);
  }
}
