import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `profile_event_times` by month: one row per profile, event name and UTC month, its times sorted.
 * One row per (profile, event) was rewritten on every fold that touched it, so a month's active rows
 * ended up spread over the whole heap: a funnel read 106k pages (72k from outside shared buffers) for
 * ~190k rows, where `profile_day_event` read 34k. Rows of a month are written during that month and
 * stay together, as the day rows do, with a few rows per profile instead of one per active day.
 */
export class AnalyticsEventTimesByMonth1763900012200 implements MigrationInterface {
  name = 'AnalyticsEventTimesByMonth1763900012200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_event_times RENAME TO profile_event_times_whole`);
    await queryRunner.query(`ALTER INDEX profile_event_times_pkey RENAME TO profile_event_times_whole_pkey`);
    await queryRunner.query(`DROP INDEX profile_event_times_by_last`);
    await queryRunner.query(
      `CREATE TABLE profile_event_times (
         project_id uuid NOT NULL,
         profile_id uuid NOT NULL,
         name text NOT NULL,
         month date NOT NULL,
         times timestamptz[] NOT NULL,
         PRIMARY KEY (project_id, profile_id, name, month),
         CHECK (cardinality(times) > 0)
       )`,
    );
    await queryRunner.query(
      `INSERT INTO profile_event_times (project_id, profile_id, name, month, times)
       SELECT w.project_id, w.profile_id, w.name, date_trunc('month', t.t AT TIME ZONE 'UTC')::date, array_agg(t.t ORDER BY t.t)
       FROM profile_event_times_whole w CROSS JOIN LATERAL unnest(w.times) t (t) GROUP BY 1, 2, 3, 4 ORDER BY 4, 1, 3, 2`,
    );
    await queryRunner.query(`DROP TABLE profile_event_times_whole`);
    await queryRunner.query(`CREATE INDEX profile_event_times_by_month ON profile_event_times (project_id, name, month)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile_event_times RENAME TO profile_event_times_month`);
    await queryRunner.query(`ALTER INDEX profile_event_times_pkey RENAME TO profile_event_times_month_pkey`);
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
       SELECT m.project_id, m.name, m.profile_id, array_agg(t.t ORDER BY t.t) FROM profile_event_times_month m CROSS JOIN LATERAL unnest(m.times) t (t) GROUP BY 1, 2, 3`,
    );
    await queryRunner.query(`DROP TABLE profile_event_times_month`);
    await queryRunner.query(`CREATE INDEX profile_event_times_by_last ON profile_event_times (project_id, name, (times[cardinality(times)]))`);
  }
}
