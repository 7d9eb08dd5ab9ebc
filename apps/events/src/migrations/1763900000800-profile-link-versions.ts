import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Versions for the links of a project, so each events instance can cache them (see ProfileLinks):
 * every write to a project's links takes the next version from `profile_link_version` (the row's
 * lock orders the writers, so versions commit in order) and stamps the rows it writes with it;
 * `reset_version` is the last write that deleted links (an erasure), after which caches start over.
 */
export class ProfileLinkVersions1763900000800 implements MigrationInterface {
  name = 'ProfileLinkVersions1763900000800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE profile_link_version (
        project_id uuid PRIMARY KEY,
        version bigint NOT NULL,
        reset_version bigint NOT NULL DEFAULT 0
      )`);
    await queryRunner.query(`ALTER TABLE profile_link ADD COLUMN version bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`CREATE INDEX profile_link_changes ON profile_link (project_id, version)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX profile_link_changes`);
    await queryRunner.query(`ALTER TABLE profile_link DROP COLUMN version`);
    await queryRunner.query(`DROP TABLE profile_link_version`);
  }
}
