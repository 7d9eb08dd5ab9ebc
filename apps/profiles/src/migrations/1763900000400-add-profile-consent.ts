import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Consent per channel (`{ email: { subscribed, updatedAt }, phone: { dnd, updatedAt } }`), set by identify traits. */
export class AddProfileConsent1763900000400 implements MigrationInterface {
  name = 'AddProfileConsent1763900000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile ADD COLUMN consent jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile DROP COLUMN consent`);
  }
}
