import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Templates become versioned: each edit adds a version and sent versions are never changed. A
 * version stores what its author wrote and what compiling it produced (HTML with CSS inlined and
 * the Gmail annotations, the plain-text part's template), so sending never compiles. Templates
 * stored before keep their bodies as version 1 (HTML; they are read as Liquid from now on).
 */
export class EmailTemplateVersions1763900010700 implements MigrationInterface {
  name = 'EmailTemplateVersions1763900010700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE email_template ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1)`);
    await queryRunner.query(`
      CREATE TABLE email_template_version (
        template_id uuid NOT NULL REFERENCES email_template (id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version >= 1),
        project_id uuid NOT NULL,
        format text NOT NULL CHECK (format IN ('HTML', 'MJML')),
        subject text NOT NULL,
        preheader text,
        from_name text,
        from_address text,
        reply_to text,
        body text NOT NULL,
        text_body text,
        promotion jsonb CHECK (promotion IS NULL OR jsonb_typeof(promotion) = 'object'),
        compiled_html text NOT NULL,
        text_template text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (template_id, version)
      )`);
    await queryRunner.query(`
      INSERT INTO email_template_version (template_id, version, project_id, format, subject, body, text_body, compiled_html, text_template, created_at)
      SELECT id, 1, project_id, 'HTML', subject, html_body, text_body, html_body, coalesce(text_body, ''), created_at FROM email_template`);
    await queryRunner.query(`ALTER TABLE email_template DROP COLUMN subject, DROP COLUMN html_body, DROP COLUMN text_body`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE email_template ADD COLUMN subject text, ADD COLUMN html_body text, ADD COLUMN text_body text`);
    await queryRunner.query(`
      UPDATE email_template t SET subject = v.subject, html_body = v.body, text_body = v.text_body
      FROM email_template_version v WHERE v.template_id = t.id AND v.version = t.version`);
    await queryRunner.query(`ALTER TABLE email_template ALTER COLUMN subject SET NOT NULL, ALTER COLUMN html_body SET NOT NULL, DROP COLUMN version`);
    await queryRunner.query(`DROP TABLE email_template_version`);
  }
}
