import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `profile_days`: one row per profile with its active local days (sorted, distinct) and the revenue
 * of each (a parallel array): the same facts as its `profile_day` rows, so retention, LTV and
 * lifecycle read a cohort's (or the chart's) profiles once instead of every profile-day in the
 * window. Indexed by the first day (cohorts) and the last day (profiles still active at a chart's
 * start). Filled from `profile_day` here; the folds keep it from then on.
 */
export class AnalyticsProfileDays1763900011500 implements MigrationInterface {
  name = 'AnalyticsProfileDays1763900011500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE profile_days (
         project_id uuid NOT NULL,
         profile_id uuid NOT NULL,
         days date[] NOT NULL,
         revenue numeric[] NOT NULL,
         PRIMARY KEY (project_id, profile_id),
         CHECK (cardinality(days) > 0 AND cardinality(days) = cardinality(revenue))
       )`,
    );
    await queryRunner.query(
      `INSERT INTO profile_days (project_id, profile_id, days, revenue)
       SELECT project_id, profile_id, array_agg(day ORDER BY day), array_agg(revenue ORDER BY day) FROM profile_day GROUP BY 1, 2`,
    );
    await queryRunner.query(`CREATE INDEX profile_days_by_first_day ON profile_days (project_id, (days[1]))`);
    await queryRunner.query(`CREATE INDEX profile_days_by_last_day ON profile_days (project_id, (days[cardinality(days)]))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE profile_days`);
  }
}
