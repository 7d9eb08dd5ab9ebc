import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tracking: the URLs of each sent message (a click redirects only to one of them, by index),
 * open and click counts, when the recipient unsubscribed through it, and its bounce.
 */
export class EmailTracking1763900011100 implements MigrationInterface {
  name = 'EmailTracking1763900011100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE email_send
        ADD COLUMN links jsonb NOT NULL DEFAULT '[]'::jsonb,
        ADD COLUMN open_count integer NOT NULL DEFAULT 0,
        ADD COLUMN first_opened_at timestamptz,
        ADD COLUMN click_count integer NOT NULL DEFAULT 0,
        ADD COLUMN first_clicked_at timestamptz,
        ADD COLUMN unsubscribed_at timestamptz,
        ADD COLUMN bounce_type text CHECK (bounce_type IN ('hard', 'soft')),
        ADD COLUMN bounced_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE email_send DROP COLUMN links, DROP COLUMN open_count, DROP COLUMN first_opened_at, DROP COLUMN click_count,
        DROP COLUMN first_clicked_at, DROP COLUMN unsubscribed_at, DROP COLUMN bounce_type, DROP COLUMN bounced_at`);
  }
}
