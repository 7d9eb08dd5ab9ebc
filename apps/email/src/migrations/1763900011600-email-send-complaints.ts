import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When the recipient of a sent message complained about it (an ARF report from a feedback loop). */
export class EmailSendComplaints1763900011600 implements MigrationInterface {
  name = 'EmailSendComplaints1763900011600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE email_send ADD COLUMN complained_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE email_send DROP COLUMN complained_at`);
  }
}
