import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The profile's IANA time zone and BCP 47 locale (canonical forms), from identify traits and context. */
export class AddProfileLocale1763900000600 implements MigrationInterface {
  name = 'AddProfileLocale1763900000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile ADD COLUMN time_zone text, ADD COLUMN locale text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile DROP COLUMN time_zone, DROP COLUMN locale`);
  }
}
