import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollup rows by day (funnels, trends, stickiness, lifecycle read a range of days of a project, or
 * of one event, across all its profiles): index-only scans instead of reading every profile's rows.
 */
export class AnalyticsDayIndexes1763900006000 implements MigrationInterface {
  name = 'AnalyticsDayIndexes1763900006000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX profile_day_by_day ON profile_day (project_id, day) INCLUDE (profile_id, events, revenue)`);
    await queryRunner.query(`CREATE INDEX profile_day_event_by_day ON profile_day_event (project_id, name, day) INCLUDE (profile_id, events, revenue)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX profile_day_event_by_day`);
    await queryRunner.query(`DROP INDEX profile_day_by_day`);
  }
}
