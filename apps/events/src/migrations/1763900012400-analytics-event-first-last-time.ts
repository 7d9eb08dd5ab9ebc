import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each `profile_event_times` row's first and last time, stored (generated from `times`, so every
 * writer keeps them) and carried in the by-month index with the profile. A funnel reads its steps
 * from the index alone: the entry over a range that starts with a month is a row's first time, and a
 * later step's first time at or after the step before is decided by the two for most rows (one time,
 * or all after it); only the others read their `times` array by primary key. An event's rows of a month
 * lie among the other events' on every heap page of the month (~8,000 for November in the bench data
 * set), its index entries together (~950 leaf pages for 100k rows). (Updates were rarely HOT before:
 * the pages are full.)
 */
export class AnalyticsEventFirstLastTime1763900012400 implements MigrationInterface {
  name = 'AnalyticsEventFirstLastTime1763900012400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE profile_event_times
         ADD COLUMN first_time timestamptz GENERATED ALWAYS AS (times[1]) STORED,
         ADD COLUMN last_time timestamptz GENERATED ALWAYS AS (times[cardinality(times)]) STORED`,
    );
    await queryRunner.query(`DROP INDEX profile_event_times_by_month`);
    await queryRunner.query(`CREATE INDEX profile_event_times_by_month ON profile_event_times (project_id, name, month) INCLUDE (first_time, last_time, profile_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX profile_event_times_by_month`);
    await queryRunner.query(`ALTER TABLE profile_event_times DROP COLUMN first_time, DROP COLUMN last_time`);
    await queryRunner.query(`CREATE INDEX profile_event_times_by_month ON profile_event_times (project_id, name, month)`);
  }
}
