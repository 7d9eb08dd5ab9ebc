import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exactly once across a crash: each SMTP attempt is first committed as in flight (its start and
 * Message-ID), so a send whose dispatcher died while talking SMTP is known and settled `uncertain`
 * instead of being sent again.
 */
export class EmailSendInFlight1763900011000 implements MigrationInterface {
  name = 'EmailSendInFlight1763900011000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE email_send ADD COLUMN message_id text, ADD COLUMN smtp_started_at timestamptz`);
    await queryRunner.query(`ALTER TABLE email_send DROP CONSTRAINT email_send_status_check`);
    await queryRunner.query(
      `ALTER TABLE email_send ADD CONSTRAINT email_send_status_check CHECK (status IN ('queued', 'sending', 'deferred', 'sent', 'failed', 'skipped', 'uncertain'))`,
    );
    // Reconciliation looks for claims whose lease ran out.
    await queryRunner.query(`CREATE INDEX email_send_claimed ON email_send (claimed_at) WHERE status = 'sending'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX email_send_claimed`);
    await queryRunner.query(`UPDATE email_send SET status = 'failed' WHERE status = 'uncertain'`);
    await queryRunner.query(`ALTER TABLE email_send DROP CONSTRAINT email_send_status_check`);
    await queryRunner.query(`ALTER TABLE email_send ADD CONSTRAINT email_send_status_check CHECK (status IN ('queued', 'sending', 'deferred', 'sent', 'failed', 'skipped'))`);
    await queryRunner.query(`ALTER TABLE email_send DROP COLUMN smtp_started_at, DROP COLUMN message_id`);
  }
}
