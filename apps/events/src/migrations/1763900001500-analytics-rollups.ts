import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics' rollups (`src/analytics/`): per profile per day activity and revenue, per event name
 * too, and when each profile was first seen (any event, and each name); events still waiting for
 * their profile; profiles merged away or erased; each project's settings; the one-time backfill.
 */
export class AnalyticsRollups1763900001500 implements MigrationInterface {
  name = 'AnalyticsRollups1763900001500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE analytics_settings (
        project_id uuid PRIMARY KEY,
        time_zone text NOT NULL DEFAULT 'UTC',
        revenue_event text NOT NULL DEFAULT 'Charged',
        revenue_property text NOT NULL DEFAULT 'Amount',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // day: the local date in the project's time zone when the rows were written.
    await queryRunner.query(`
      CREATE TABLE profile_day (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        day date NOT NULL,
        events integer NOT NULL,
        revenue numeric NOT NULL DEFAULT 0,
        PRIMARY KEY (project_id, profile_id, day)
      )`);
    await queryRunner.query(`
      CREATE TABLE profile_day_event (
        project_id uuid NOT NULL,
        name text NOT NULL,
        profile_id uuid NOT NULL,
        day date NOT NULL,
        events integer NOT NULL,
        revenue numeric NOT NULL DEFAULT 0,
        PRIMARY KEY (project_id, name, profile_id, day)
      )`);
    await queryRunner.query(`CREATE INDEX profile_day_event_profile ON profile_day_event (project_id, profile_id)`);
    await queryRunner.query(`
      CREATE TABLE profile_first_seen (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        first_at timestamptz NOT NULL,
        first_day date NOT NULL,
        PRIMARY KEY (project_id, profile_id)
      )`);
    await queryRunner.query(`CREATE INDEX profile_first_seen_day ON profile_first_seen (project_id, first_day) INCLUDE (profile_id)`);
    await queryRunner.query(`
      CREATE TABLE profile_first_event (
        project_id uuid NOT NULL,
        name text NOT NULL,
        profile_id uuid NOT NULL,
        first_at timestamptz NOT NULL,
        first_day date NOT NULL,
        PRIMARY KEY (project_id, name, profile_id)
      )`);
    await queryRunner.query(`CREATE INDEX profile_first_event_day ON profile_first_event (project_id, name, first_day) INCLUDE (profile_id)`);
    await queryRunner.query(`CREATE INDEX profile_first_event_profile ON profile_first_event (project_id, profile_id)`);
    // Events whose user or anonymous id no profile owned yet; applied once a link names one.
    await queryRunner.query(`
      CREATE TABLE analytics_unlinked (
        project_id uuid NOT NULL,
        event_id uuid NOT NULL,
        user_id text,
        anonymous_id text,
        "timestamp" timestamptz NOT NULL,
        name text NOT NULL,
        revenue numeric,
        PRIMARY KEY (project_id, event_id)
      )`);
    // survivor_id null: erased. Events still in flight for these profiles follow them.
    await queryRunner.query(`
      CREATE TABLE analytics_profile_gone (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        survivor_id uuid,
        PRIMARY KEY (project_id, profile_id)
      )`);
    await queryRunner.query(`CREATE INDEX analytics_profile_gone_survivor ON analytics_profile_gone (project_id, survivor_id) WHERE survivor_id IS NOT NULL`);
    // Events received before watermark are the backfill's (partition by partition), the later ones the consumer's.
    await queryRunner.query(`
      CREATE TABLE analytics_backfill (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        watermark timestamptz NOT NULL DEFAULT now(),
        done_partitions text[] NOT NULL DEFAULT '{}',
        started_at timestamptz,
        completed_at timestamptz
      )`);
    await queryRunner.query(`INSERT INTO analytics_backfill DEFAULT VALUES`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['analytics_backfill', 'analytics_profile_gone', 'analytics_unlinked', 'profile_first_event', 'profile_first_seen', 'profile_day_event', 'profile_day', 'analytics_settings']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
