import type { MigrationInterface, QueryRunner } from 'typeorm';
import { uuidV7Floor } from '../analytics/rollup-watermark.js';

/**
 * `profile_day_event.times`: the times of the profile's events of that name on that local day,
 * sorted. A funnel's exact step times (the earliest step-k event at or after step k − 1, inside the
 * window) then come from the rollups instead of an index probe per profile into the raw events.
 * Rows written before this column are filled by a rebuild of every project that has rollups (the
 * settings-change path, `RollupRebuild`), so each is recomputed from its events under its settings.
 */
export class AnalyticsStepTimes1763900007000 implements MigrationInterface {
  name = 'AnalyticsStepTimes1763900007000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_day_event ADD COLUMN times timestamptz[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(
      `INSERT INTO analytics_settings (project_id, rebuild_before)
       SELECT DISTINCT project_id, $1::uuid FROM profile_first_seen
       ON CONFLICT (project_id) DO UPDATE SET rebuild_before = excluded.rebuild_before`,
      [uuidV7Floor(Date.now())],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_day_event DROP COLUMN times`);
  }
}
