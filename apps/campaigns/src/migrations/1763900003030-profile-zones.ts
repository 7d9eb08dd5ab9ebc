import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each profile's time zone (local-time sends), and the zones an occurrence of a local-time campaign sends to. */
export class ProfileZones1763900003030 implements MigrationInterface {
  name = 'ProfileZones1763900003030';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE campaign_profile_zone (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        time_zone text,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, profile_id)
      )`);
    // null: everyone targeted; else only profiles whose zone (the project's when they have none) is listed.
    await queryRunner.query(`ALTER TABLE campaign_occurrence ADD COLUMN time_zones text[]`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign_occurrence DROP COLUMN time_zones`);
    await queryRunner.query(`DROP TABLE campaign_profile_zone`);
  }
}
