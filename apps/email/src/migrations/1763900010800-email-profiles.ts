import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * email's projection of profiles (from ProfileChanged): what personalization and the send checks
 * read, so no send calls profiles. `erased`: the profile was deleted or merged away; the row stays
 * as a tombstone (updated_at infinity) so a late change cannot bring it back.
 */
export class EmailProfiles1763900010800 implements MigrationInterface {
  name = 'EmailProfiles1763900010800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE email_profile (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        email text,
        email_subscribed boolean,
        name text,
        time_zone text,
        locale text,
        properties jsonb NOT NULL DEFAULT '{}'::jsonb,
        erased boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, profile_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE email_profile`);
  }
}
