import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A project may require user tokens for publishable-key calls that name a user id. */
export class AddProjectUserVerification1763900000200 implements MigrationInterface {
  name = 'AddProjectUserVerification1763900000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE project ADD COLUMN require_user_verification boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE project DROP COLUMN require_user_verification`);
  }
}
