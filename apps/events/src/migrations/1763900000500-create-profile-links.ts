import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which profile each user id / anonymous id belongs to, as announced by `profiles`
 * (ProfileIdentified, ProfileMerged). Ingest uses it to attach new events to their profile;
 * the partial indexes find the events still waiting for one.
 */
export class CreateProfileLinks1763900000500 implements MigrationInterface {
  name = 'CreateProfileLinks1763900000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE profile_link (
        project_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('user_id', 'anonymous_id')),
        value text NOT NULL,
        profile_id uuid NOT NULL,
        PRIMARY KEY (project_id, kind, value)
      )`);
    await queryRunner.query(`CREATE INDEX profile_link_profile ON profile_link (project_id, profile_id)`);
    await queryRunner.query(`CREATE INDEX event_unlinked_user ON event (project_id, user_id) WHERE profile_id IS NULL AND user_id IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX event_unlinked_anonymous ON event (project_id, anonymous_id) WHERE profile_id IS NULL AND anonymous_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX event_unlinked_anonymous`);
    await queryRunner.query(`DROP INDEX event_unlinked_user`);
    await queryRunner.query(`DROP TABLE profile_link`);
  }
}
