import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on each page of email_send for the in-flight mark's new row version: the mark changes no
 * indexed column (no longer `claimed_at`: the in-flight lease runs from `smtp_started_at`), so with
 * free space on the page PostgreSQL updates it in place (HOT), without an entry in each of the
 * table's five indexes. Pages written from now on keep the room.
 */
export class EmailSendHotMark1763900011400 implements MigrationInterface {
  name = 'EmailSendHotMark1763900011400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE email_send SET (fillfactor = 70)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE email_send RESET (fillfactor)`);
  }
}
