import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How far ProfileLinkRepair has re-attached events for each project's links: it starts from the
 * links written from now on (the history before is left as it is).
 */
export class ProfileLinkRepair1763900000900 implements MigrationInterface {
  name = 'ProfileLinkRepair1763900000900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_link_version ADD COLUMN repaired_version bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`UPDATE profile_link_version SET repaired_version = version`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_link_version DROP COLUMN repaired_version`);
  }
}
