import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEmailTemplates1763900000700 implements MigrationInterface {
  name = 'CreateEmailTemplates1763900000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE email_template (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
        subject text NOT NULL,
        html_body text NOT NULL,
        text_body text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX email_template_project ON email_template (project_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE email_template`);
  }
}
