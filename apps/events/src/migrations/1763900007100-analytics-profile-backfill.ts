import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Progress of filling `analytics_profile` from profiles (ListProfileSnapshots, every project's
 * profiles in id order): the last profile id stored, and when the walk finished. One row; a
 * finished walk is not run again unless asked (`AnalyticsProfileBackfill.restart`).
 */
export class AnalyticsProfileBackfill1763900007100 implements MigrationInterface {
  name = 'AnalyticsProfileBackfill1763900007100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE analytics_profile_backfill (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        after_profile_id uuid,
        pages int NOT NULL DEFAULT 0,
        profiles bigint NOT NULL DEFAULT 0,
        started_at timestamptz,
        completed_at timestamptz
      )`);
    await queryRunner.query(`INSERT INTO analytics_profile_backfill DEFAULT VALUES`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE analytics_profile_backfill`);
  }
}
