import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `profile_event_times`: one row per profile and event name with every time of those events, sorted
 * (`times[cardinality(times)]` the last). A funnel's entrants are then the rows whose last time is
 * at or after the range's start (index below), each entry the first time in the range and each later
 * step the first time at or after the step before, found by binary search (`width_bucket`) instead
 * of grouping every profile-day of the range. Filled from `profile_day_event.times` here; the folds
 * keep it from then on. Keyed by profile first, so merges and erasures find a profile's rows by the key.
 */
export class AnalyticsEventTimes1763900012000 implements MigrationInterface {
  name = 'AnalyticsEventTimes1763900012000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE profile_event_times (
         project_id uuid NOT NULL,
         name text NOT NULL,
         profile_id uuid NOT NULL,
         times timestamptz[] NOT NULL,
         PRIMARY KEY (project_id, profile_id, name),
         CHECK (cardinality(times) > 0)
       )`,
    );
    await queryRunner.query(
      `INSERT INTO profile_event_times (project_id, name, profile_id, times)
       SELECT r.project_id, r.name, r.profile_id, array_agg(t.t ORDER BY t.t) FROM profile_day_event r CROSS JOIN LATERAL unnest(r.times) t (t) GROUP BY 1, 2, 3`,
    );
    await queryRunner.query(`CREATE INDEX profile_event_times_by_last ON profile_event_times (project_id, name, (times[cardinality(times)]))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE profile_event_times`);
  }
}
