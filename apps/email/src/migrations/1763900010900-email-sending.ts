import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sending: per-project sender settings (the SMTP URL sealed with a key derived from the internal
 * signing secret), one row per send (its idempotency key unique per project, its SMTP result
 * recorded in the transaction that publishes what happened), and the suppression list.
 */
export class EmailSending1763900010900 implements MigrationInterface {
  name = 'EmailSending1763900010900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE email_sender_settings (
        project_id uuid PRIMARY KEY,
        smtp_url_sealed text,
        smtp_host text,
        from_address text NOT NULL,
        from_name text,
        reply_to text,
        max_connections integer NOT NULL DEFAULT 5 CHECK (max_connections BETWEEN 1 AND 100),
        consent_required boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE email_send (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        idempotency_key text NOT NULL,
        template_id uuid NOT NULL,
        template_version integer NOT NULL,
        profile_id uuid NOT NULL,
        campaign_id uuid,
        journey_id uuid,
        event jsonb NOT NULL DEFAULT '{}'::jsonb,
        campaign jsonb NOT NULL DEFAULT '{}'::jsonb,
        status text NOT NULL CHECK (status IN ('queued', 'sending', 'deferred', 'sent', 'failed', 'skipped')),
        reason text,
        to_address text,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        claimed_at timestamptz,
        smtp_response text,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (project_id, idempotency_key)
      )`);
    // The dispatcher's queue: due rows only, oldest first.
    await queryRunner.query(`CREATE INDEX email_send_due ON email_send (next_attempt_at) WHERE status IN ('queued', 'deferred', 'sending')`);
    await queryRunner.query(`CREATE INDEX email_send_profile ON email_send (project_id, profile_id, created_at)`);
    await queryRunner.query(`
      CREATE TABLE email_suppression (
        project_id uuid NOT NULL,
        address text NOT NULL CHECK (address = lower(address)),
        reason text NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'unsubscribed', 'manual')),
        detail text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, address)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE email_suppression`);
    await queryRunner.query(`DROP TABLE email_send`);
    await queryRunner.query(`DROP TABLE email_sender_settings`);
  }
}
