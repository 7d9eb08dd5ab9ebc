import type { MigrationInterface, QueryRunner } from 'typeorm';
import { uuidV7Floor } from '../analytics/rollup-watermark.js';

/**
 * `profile_day_event.times` is gone: funnels read `profile_event_times` (migration
 * AnalyticsEventTimes1763900012000, filled from it), and no other question read it; the folds no
 * longer aggregate and merge a times array per (profile, event, day).
 */
export class AnalyticsDayTimesDropped1763900012100 implements MigrationInterface {
  name = 'AnalyticsDayTimesDropped1763900012100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_day_event DROP COLUMN times`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_day_event ADD COLUMN times timestamptz[] NOT NULL DEFAULT '{}'`);
    // Refilled from the events by a rebuild of every project with rollups, as AnalyticsStepTimes1763900007000 did.
    await queryRunner.query(
      `INSERT INTO analytics_settings (project_id, rebuild_before)
       SELECT DISTINCT project_id, $1::uuid FROM profile_first_seen
       ON CONFLICT (project_id) DO UPDATE SET rebuild_before = excluded.rebuild_before`,
      [uuidV7Floor(Date.now())],
    );
  }
}
