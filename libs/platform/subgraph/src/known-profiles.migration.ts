import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A service's projection of which profiles exist (KnownProfiles), and the state of its one-time backfill. */
export class CreateKnownProfiles1763900002000 implements MigrationInterface {
  name = 'CreateKnownProfiles1763900002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // forgotten_at: merged away or erased; the row stays so a late ProfileCreated cannot bring the id back.
    await queryRunner.query(`
      CREATE TABLE known_profile (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        forgotten_at timestamptz,
        PRIMARY KEY (project_id, profile_id)
      )`);
    // One row: ProfileCreated announced before started_at is the backfill's to bring; it resumes after after_profile_id.
    await queryRunner.query(`
      CREATE TABLE known_profile_backfill (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        started_at timestamptz NOT NULL DEFAULT now(),
        after_profile_id uuid,
        completed_at timestamptz
      )`);
    await queryRunner.query(`INSERT INTO known_profile_backfill DEFAULT VALUES`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE known_profile_backfill`);
    await queryRunner.query(`DROP TABLE known_profile`);
  }
}
