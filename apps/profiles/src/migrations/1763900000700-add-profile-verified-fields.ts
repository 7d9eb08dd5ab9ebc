import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a verified write (secret key, or a publishable key with a user token) set last: `name`,
 * `time_zone`, `locale`, `properties.<name>`. Unverified writes leave these alone.
 */
export class AddProfileVerifiedFields1763900000700 implements MigrationInterface {
  name = 'AddProfileVerifiedFields1763900000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile ADD COLUMN verified_fields text[] NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile DROP COLUMN verified_fields`);
  }
}
