import type { MigrationInterface, QueryRunner } from 'typeorm';
import { uuidV7Floor } from '../analytics/rollup-watermark.js';

/**
 * Fewer writes per fold. The first rows keep their first local day only: no question reads
 * `first_at`, and keeping the earliest time rewrote a known profile's first rows whenever a batch
 * held an earlier time of the same day (half of a burst's `profile_first_event` rows a fold).
 * `profile_day_event` loses its index by profile, one entry per row version a fold writes: only
 * merges and erasures looked rows up by profile, now by the profile's names (`Rollups`).
 */
export class AnalyticsFoldWrites1763900012300 implements MigrationInterface {
  name = 'AnalyticsFoldWrites1763900012300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_first_seen DROP COLUMN first_at`);
    await queryRunner.query(`ALTER TABLE profile_first_event DROP COLUMN first_at`);
    await queryRunner.query(`DROP INDEX profile_day_event_profile`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX profile_day_event_profile ON profile_day_event (project_id, profile_id)`);
    await queryRunner.query(`ALTER TABLE profile_first_seen ADD COLUMN first_at timestamptz NOT NULL DEFAULT '-infinity'`);
    await queryRunner.query(`ALTER TABLE profile_first_event ADD COLUMN first_at timestamptz NOT NULL DEFAULT '-infinity'`);
    await queryRunner.query(`ALTER TABLE profile_first_seen ALTER COLUMN first_at DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE profile_first_event ALTER COLUMN first_at DROP DEFAULT`);
    // Refilled from the events by a rebuild of every project with rollups, as AnalyticsDayTimesDropped1763900012100's down does.
    await queryRunner.query(
      `INSERT INTO analytics_settings (project_id, rebuild_before)
       SELECT DISTINCT project_id, $1::uuid FROM profile_first_seen
       ON CONFLICT (project_id) DO UPDATE SET rebuild_before = excluded.rebuild_before`,
      [uuidV7Floor(Date.now())],
    );
  }
}
