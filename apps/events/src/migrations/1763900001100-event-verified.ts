import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Whether an event was sent with a secret key or a user token for its user id (a constant default: no table rewrite). */
export class EventVerified1763900001100 implements MigrationInterface {
  name = 'EventVerified1763900001100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE event ADD COLUMN verified boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE event DROP COLUMN verified`);
  }
}
