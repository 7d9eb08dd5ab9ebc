import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The suppression list read newest first, page by page (`emailSuppressions`). */
export class EmailSuppressionList1763900011200 implements MigrationInterface {
  name = 'EmailSuppressionList1763900011200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX email_suppression_list ON email_suppression (project_id, created_at DESC, address DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX email_suppression_list`);
  }
}
