// Benchmark: analytics over the shared data set (1M profiles, 10M events; dataset/), in one run.
// (1) builds the rollups from the data set's events through the real backfill (RollupBackfill,
//     partition by partition), timed on its own; every run starts from empty rollups
//     (BENCH_REUSE_ROLLUPS=1 keeps complete ones from an earlier run);
// (2) can the rollups keep up with ingest? The consumer's work (Rollups.applyEvents, one
//     transaction per fold of EventsIngested messages, as RollupConsumers does) timed on a sample
//     of the data set's events copied under a scratch project, in events/s, against the ingest
//     benchmark's rate (bench:ingest: ~35,600 events/s on this machine class);
// (3) asks each question THROUGH THE GATEWAY (gateway, workspace and events from dist/; events on
//     the data set's `events` schema, workspace holding the data set's project and a secret key)
//     and the same question of hand-written PostgreSQL over the raw events and of DuckDB over the
//     Parquet copy (`Baselines.ask`: answers compared): a 12-week retention matrix, a 4-step funnel
//     with a 7-day window, a 30-day DAU trend, a 12-week lifecycle chart and 90-day LTV curves
//     (A1's valueRetention).
//     Goal: every answer ≤ 2 s and no slower than DuckDB.
// Knobs: BENCH_RUNS (default 3), BENCH_PROFILES / BENCH_EVENTS (default 1M / 10M), BENCH_REUSE_ROLLUPS,
// BENCH_ROLLUPS_ONLY (stop after (1) and (2)).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { generateApiKey } from '@boomerang/platform/auth';
import { openServiceDataSource } from '@boomerang/platform/persistence';
import { TEST_NATS_URL, TEST_SIGNING_SECRET, uniqueSubjectPrefix } from '@boomerang/platform/testing';
import type { Rollups } from '../../apps/events/src/analytics/rollups.js';
import { freePort } from '../dev/platform.mjs';
import { Baselines, ensureBenchDataset, ensureParquet, formatResults, retention12Weeks, startDatasetEvents, type Question, type QuestionResult } from './dataset/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DAY_MS = 86_400_000;
const root = join(import.meta.dirname, '../../..');

const ROLLUP_TABLES = ['profile_day', 'profile_day_event', 'profile_days', 'profile_event_times', 'profile_first_seen', 'profile_first_event', 'analytics_unlinked', 'analytics_profile_gone'];
/** The rollup tables a question reads (vacuumed and analyzed after they are built or written). */
const READ_TABLES = ['profile_day', 'profile_day_event', 'profile_days', 'profile_event_times', 'profile_first_seen', 'profile_first_event'];
const FUNNEL_STEPS = ['App Opened', 'Product Viewed', 'Added To Cart', 'Charged'] as const;
const iso = (time: number) => new Date(time).toISOString();
const date = (time: number) => iso(time).slice(0, 10);
/** A DuckDB TIMESTAMPTZ literal. */
const instant = (time: number) => `TIMESTAMPTZ '${iso(time)}'`;

interface FunnelAnswer {
  steps: number[];
  medians: (number | null)[];
}

/** The 4-step funnel: first App Opened in the last 30 days, then each step at or after the one before, all within 7 days of the first. */
const funnel4Steps7Days: Question<FunnelAnswer> = {
  name: '4-step funnel, 7-day window',
  description: 'App Opened (first in the last 30 days) → Product Viewed → Added To Cart → Charged, each after the one before, within 7 days of the first',
  postgres: ({ projectId, now }) => ({
    text: `WITH s1 AS (
             SELECT profile_id, min("timestamp") AS t1 FROM events.event
             WHERE project_id = $1 AND name = $4 AND "timestamp" >= $2 AND "timestamp" < $3 AND profile_id IS NOT NULL GROUP BY profile_id
           )${[2, 3, 4]
             .map(
               (k) => `, s${k} AS MATERIALIZED (
             SELECT p.*, x.t AS t${k} FROM s${k - 1} p CROSS JOIN LATERAL (
               SELECT min(e."timestamp") AS t FROM events.event e
               WHERE e.project_id = $1 AND e.profile_id = p.profile_id AND e.name = $${k + 3} AND e."timestamp" >= p.t${k - 1} AND e."timestamp" < p.t1 + interval '7 days'
             ) x WHERE x.t IS NOT NULL
           )`,
             )
             .join('')}
           SELECT (SELECT count(*) FROM s1) AS p1, (SELECT count(*) FROM s2) AS p2, (SELECT count(*) FROM s3) AS p3, (SELECT count(*) FROM s4) AS p4,
             (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t2 - t1)) FROM s2) AS m2,
             (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t3 - t2)) FROM s3) AS m3,
             (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t4 - t3)) FROM s4) AS m4`,
    values: [projectId, new Date(now.getTime() - 30 * DAY_MS), now, ...FUNNEL_STEPS],
  }),
  duckdb: ({ now }) => {
    const names = FUNNEL_STEPS.map((name) => `'${name}'`);
    const later = [2, 3, 4]
      .map(
        (k) => `, s${k} AS (
        SELECT p.*, min(s."timestamp") AS t${k} FROM s${k - 1} p
        JOIN steps s ON s.profile_id = p.profile_id AND s.name = ${names[k - 1]} AND s."timestamp" >= p.t${k - 1} AND s."timestamp" < p.t1 + INTERVAL 7 DAY
        GROUP BY ALL
      )`,
      )
      .join('');
    return `WITH steps AS (
        SELECT profile_id, name, "timestamp" FROM events
        WHERE name IN (${names.join(', ')}) AND "timestamp" >= ${instant(now.getTime() - 30 * DAY_MS)} AND "timestamp" < ${instant(now.getTime() + 7 * DAY_MS)}
      ), s1 AS (
        SELECT profile_id, min("timestamp") AS t1 FROM steps WHERE name = ${names[0]} AND "timestamp" < ${instant(now.getTime())} GROUP BY profile_id
      )${later}
      SELECT (SELECT count(*) FROM s1) AS p1, (SELECT count(*) FROM s2) AS p2, (SELECT count(*) FROM s3) AS p3, (SELECT count(*) FROM s4) AS p4,
        (SELECT median(epoch(t2) - epoch(t1)) FROM s2) AS m2, (SELECT median(epoch(t3) - epoch(t2)) FROM s3) AS m3, (SELECT median(epoch(t4) - epoch(t3)) FROM s4) AS m4`;
  },
  answer: (rows) => {
    const row = rows[0]!;
    return {
      steps: [1, 2, 3, 4].map((k) => Number(row[`p${k}`])),
      medians: [null, ...[2, 3, 4].map((k) => (row[`m${k}`] == null ? null : Math.round(Number(row[`m${k}`]))))],
    };
  },
  summary: ({ steps, medians }) => steps.map((count, i) => `${FUNNEL_STEPS[i]} ${count.toLocaleString('en')}${medians[i] == null ? '' : ` (median ${medians[i]} s)`}`).join(' → '),
};

interface DailyActive {
  days: number[];
}

/** Distinct profiles with any event per UTC day, the 30 days before now. */
const dau30Days: Question<DailyActive> = {
  name: '30-day DAU trend',
  description: 'distinct profiles with any event per day, the 30 days before now',
  postgres: ({ projectId, now }) => ({
    text: `SELECT ("timestamp" AT TIME ZONE 'UTC')::date::text AS day, count(DISTINCT profile_id) AS profiles FROM events.event
           WHERE project_id = $1 AND "timestamp" >= $2 AND "timestamp" < $3 AND profile_id IS NOT NULL GROUP BY 1 ORDER BY 1`,
    values: [projectId, new Date(now.getTime() - 30 * DAY_MS), now],
  }),
  duckdb: ({ now }) => `SELECT CAST(CAST("timestamp" AS DATE) AS VARCHAR) AS day, count(DISTINCT profile_id) AS profiles FROM events
      WHERE "timestamp" >= ${instant(now.getTime() - 30 * DAY_MS)} AND "timestamp" < ${instant(now.getTime())} GROUP BY 1 ORDER BY 1`,
  answer: (rows) => ({ days: rows.map((row) => Number(row.profiles)) }),
  summary: ({ days }) => `${days.length} days, mean DAU ${Math.round(days.reduce((sum, n) => sum + n, 0) / Math.max(days.length, 1)).toLocaleString('en')}`,
};

interface LifecycleChart {
  /** weeks[i] = [new, returning, resurrecting, dormant] of ISO week i of the 12 before the week of now. */
  weeks: number[][];
}

/** Monday of the ISO week before now's week, 12 weeks back: the lifecycle chart's first week. */
const lifecycleFrom = (now: Date) => {
  const monday = now.getTime() - ((now.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(new Date(monday).getUTCFullYear(), new Date(monday).getUTCMonth(), new Date(monday).getUTCDate()) - 12 * 7 * DAY_MS;
};

const lifecycleStates = (week: string, previous: string, first: string, next: string, plusWeek: (expr: string) => string, from: string, to: string) => `
  SELECT ${week} AS w, CASE WHEN ${previous} = ${plusWeek(`-`)} THEN 'RETURNING' WHEN ${first} = ${week} THEN 'NEW' ELSE 'RESURRECTING' END AS state
  FROM marked JOIN first_seen USING (profile_id) WHERE ${week} >= ${from}
  UNION ALL
  SELECT ${plusWeek('+')}, 'DORMANT' FROM marked WHERE (${next} IS NULL OR ${next} > ${plusWeek('+')}) AND ${plusWeek('+')} < ${to}`;

const lifecycle12Weeks: Question<LifecycleChart> = {
  name: '12-week lifecycle chart',
  description: 'per ISO week: new (first event ever that week), returning (active the week before too), resurrecting, dormant (active the week before, not this one)',
  postgres: ({ projectId, now }) => {
    const from = lifecycleFrom(now);
    return {
      text: `WITH first_seen AS (
               SELECT profile_id, date_trunc('week', min("timestamp") AT TIME ZONE 'UTC')::date AS fw FROM events.event WHERE project_id = $1 AND profile_id IS NOT NULL GROUP BY 1
             ), active AS (
               SELECT DISTINCT profile_id, date_trunc('week', "timestamp" AT TIME ZONE 'UTC')::date AS w FROM events.event
               WHERE project_id = $1 AND profile_id IS NOT NULL AND "timestamp" >= $2 AND "timestamp" < $3
             ), marked AS (
               SELECT profile_id, w, lag(w) OVER p AS prev, lead(w) OVER p AS next FROM active WINDOW p AS (PARTITION BY profile_id ORDER BY w)
             ), states AS (${lifecycleStates('w', 'prev', 'fw', 'next', (sign) => `w ${sign} 7`, '$4::date', '$5::date')})
             SELECT w::text AS week, state, count(*) AS profiles FROM states GROUP BY 1, 2`,
      values: [projectId, new Date(from - 7 * DAY_MS), new Date(from + 12 * 7 * DAY_MS), date(from), date(from + 12 * 7 * DAY_MS)],
    };
  },
  duckdb: ({ now }) => {
    const from = lifecycleFrom(now);
    return `WITH first_seen AS (
        SELECT profile_id, CAST(date_trunc('week', min("timestamp")) AS DATE) AS fw FROM events GROUP BY 1
      ), active AS (
        SELECT DISTINCT profile_id, CAST(date_trunc('week', "timestamp") AS DATE) AS w FROM events
        WHERE "timestamp" >= ${instant(from - 7 * DAY_MS)} AND "timestamp" < ${instant(from + 12 * 7 * DAY_MS)}
      ), marked AS (
        SELECT profile_id, w, lag(w) OVER (PARTITION BY profile_id ORDER BY w) AS prev, lead(w) OVER (PARTITION BY profile_id ORDER BY w) AS next FROM active
      ), states AS (${lifecycleStates('w', 'prev', 'fw', 'next', (sign) => `CAST(w ${sign} INTERVAL 7 DAY AS DATE)`, `DATE '${date(from)}'`, `DATE '${date(from + 12 * 7 * DAY_MS)}'`)})
      SELECT CAST(w AS VARCHAR) AS week, state, count(*) AS profiles FROM states GROUP BY 1, 2`;
  },
  answer: (rows) => {
    const weeks = Array.from({ length: 12 }, () => [0, 0, 0, 0]);
    const firstWeek = rows.map((row) => String(row.week)).sort()[0];
    const origin = firstWeek ? Date.parse(`${firstWeek}T00:00:00Z`) : 0;
    for (const row of rows) {
      const i = Math.round((Date.parse(`${String(row.week)}T00:00:00Z`) - origin) / (7 * DAY_MS));
      const state = ['NEW', 'RETURNING', 'RESURRECTING', 'DORMANT'].indexOf(String(row.state));
      if (weeks[i]) weeks[i]![state] = Number(row.profiles);
    }
    return { weeks };
  },
  summary: ({ weeks }) => {
    const last = weeks[weeks.length - 1]!;
    return `last week: new ${last[0]!.toLocaleString('en')}, returning ${last[1]!.toLocaleString('en')}, resurrecting ${last[2]!.toLocaleString('en')}, dormant ${last[3]!.toLocaleString('en')}`;
  },
};

interface LtvCurves {
  /** Per daily cohort: its size and its cumulative revenue in cents by day 0…89. */
  cohorts: { size: number; cents: number[] }[];
}

/** The 30 daily cohorts (by first event) starting 120 days before now, each followed 90 days. */
const ltvFrom = (now: Date) => now.getTime() - 120 * DAY_MS;
const LTV_COHORTS = 30;
const LTV_DAYS = 90;

const ltvAnswer = (rows: Record<string, unknown>[]): LtvCurves => {
  const cohorts = Array.from({ length: LTV_COHORTS }, () => ({ size: 0, cents: new Array<number>(LTV_DAYS).fill(0) }));
  const origin = Date.parse(`${String(rows.map((row) => String(row.cohort)).sort()[0])}T00:00:00Z`);
  const perDay = cohorts.map(() => new Array<number>(LTV_DAYS).fill(0));
  for (const row of rows) {
    const c = Math.round((Date.parse(`${String(row.cohort)}T00:00:00Z`) - origin) / DAY_MS);
    const k = Number(row.k);
    if (!cohorts[c]) continue;
    if (k === -1) cohorts[c].size = Number(row.value);
    else if (k < LTV_DAYS) perDay[c]![k] = Math.round(Number(row.value) * 100);
  }
  for (const [c, cohort] of cohorts.entries()) {
    let running = 0;
    cohort.cents = perDay[c]!.map((cents) => (running += cents));
  }
  return { cohorts };
};

/** 90-day LTV curves: Charged.Amount per daily cohort (first event of any name) by day since, cumulated. */
const ltv90Days: Question<LtvCurves> = {
  name: '90-day LTV curves',
  description: '30 daily cohorts by first event, cumulative Charged.Amount by day 0–89 since',
  postgres: ({ projectId, now }) => {
    const from = ltvFrom(now);
    return {
      text: `WITH first_seen AS (
               SELECT profile_id, (min("timestamp") AT TIME ZONE 'UTC')::date AS d0 FROM events.event WHERE project_id = $1 AND profile_id IS NOT NULL GROUP BY 1
             ), cohort AS (SELECT profile_id, d0 FROM first_seen WHERE d0 >= $2::date AND d0 < $3::date),
             paid AS (
               SELECT c.d0, ("timestamp" AT TIME ZONE 'UTC')::date - c.d0 AS k, sum((e.properties ->> 'Amount')::numeric) AS revenue
               FROM cohort c JOIN events.event e ON e.project_id = $1 AND e.profile_id = c.profile_id
               WHERE e.name = 'Charged' AND e."timestamp" >= $4 AND e."timestamp" < $5 GROUP BY 1, 2
             )
             SELECT d0::text AS cohort, -1 AS k, count(*) AS value FROM cohort GROUP BY 1
             UNION ALL SELECT d0::text, k, revenue FROM paid WHERE k BETWEEN 0 AND ${LTV_DAYS - 1}`,
      values: [projectId, date(from), date(from + LTV_COHORTS * DAY_MS), new Date(from), new Date(from + (LTV_COHORTS + LTV_DAYS) * DAY_MS)],
    };
  },
  duckdb: ({ now }) => {
    const from = ltvFrom(now);
    return `WITH first_seen AS (
        SELECT profile_id, CAST(min("timestamp") AS DATE) AS d0 FROM events GROUP BY 1
      ), cohort AS (SELECT profile_id, d0 FROM first_seen WHERE d0 >= DATE '${date(from)}' AND d0 < DATE '${date(from + LTV_COHORTS * DAY_MS)}'),
      paid AS (
        SELECT c.d0, CAST(e."timestamp" AS DATE) - c.d0 AS k, sum(e.amount) AS revenue
        FROM cohort c JOIN events e ON e.profile_id = c.profile_id
        WHERE e.name = 'Charged' AND e."timestamp" >= ${instant(from)} AND e."timestamp" < ${instant(from + (LTV_COHORTS + LTV_DAYS) * DAY_MS)} GROUP BY 1, 2
      )
      SELECT CAST(d0 AS VARCHAR) AS cohort, -1 AS k, count(*) AS value FROM cohort GROUP BY 1
      UNION ALL SELECT CAST(d0 AS VARCHAR), k, revenue FROM paid WHERE k BETWEEN 0 AND ${LTV_DAYS - 1}`;
  },
  answer: ltvAnswer,
  summary: ({ cohorts }) => {
    const size = cohorts.reduce((sum, cohort) => sum + cohort.size, 0);
    const total = cohorts.reduce((sum, cohort) => sum + cohort.cents[LTV_DAYS - 1]!, 0) / 100;
    return `${size.toLocaleString('en')} profiles in ${cohorts.length} cohorts, LTV at day 89 ${(total / Math.max(size, 1)).toFixed(2)} per member`;
  },
};

/** One app from dist/ with the given environment; resolves once its readiness check answers. */
async function startApp(app: string, env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, `dist/apps/${app}/src/main.js`)], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let attempt = 0; attempt < 240; attempt++) {
    if (await fetch(readyUrl).then((response) => response.ok, () => false)) return child;
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`${app} did not start`);
}

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const dataset = await ensureBenchDataset({
    log,
    ...(process.env.BENCH_PROFILES ? { profiles: Number(process.env.BENCH_PROFILES) } : {}),
    ...(process.env.BENCH_EVENTS ? { events: Number(process.env.BENCH_EVENTS) } : {}),
  });
  process.env.INTERNAL_SIGNING_SECRET ??= randomBytes(32).toString('hex');
  const eventsApp = await import('../../apps/events/src/app.module.js');
  const { RollupBackfill } = await import('../../apps/events/src/analytics/rollup-backfill.js');
  const rollupsModule = await import('../../apps/events/src/analytics/rollups.js');
  const dataSource = await openServiceDataSource({ url: dataset.databaseUrl, schema: 'events', entities: eventsApp.EVENTS_ENTITIES, migrations: eventsApp.EVENTS_MIGRATIONS, poolSize: 2 });
  let backfill: { partitions: number; events: number; seconds: number } | null = null;
  let keepUp: { events: number; folds: number; seconds: number; perFold: number };
  let sizes: unknown;
  try {
    // (1) the rollups, through the backfill the app runs once on start.
    const [done] = (await dataSource.query(
      // Complete: the backfill finished, and every rollup table has the project's profiles (a table added since has none: rebuilt).
      `SELECT completed_at IS NOT NULL AND EXISTS (SELECT 1 FROM profile_first_seen WHERE project_id = $1)
         AND (SELECT count(*) FROM profile_days WHERE project_id = $1) = (SELECT count(*) FROM profile_first_seen WHERE project_id = $1) AS complete
       FROM analytics_backfill`,
      [dataset.projectId],
    )) as { complete: boolean }[];
    if (process.env.BENCH_REUSE_ROLLUPS && done?.complete) {
      log('reusing the rollups of an earlier run (BENCH_REUSE_ROLLUPS)');
    } else {
      await dataSource.query(`TRUNCATE ${ROLLUP_TABLES.join(', ')}`);
      await dataSource.query(`DELETE FROM analytics_settings WHERE project_id = $1`, [dataset.projectId]);
      // Every event of the data set was received before now: all of them are the backfill's.
      await dataSource.query(`UPDATE analytics_backfill SET watermark = now(), done_partitions = '{}', started_at = NULL, completed_at = NULL`);
      const quiet = { info: () => undefined, warn: () => undefined, error: (...args: unknown[]) => console.error(...args) };
      log('building the rollups (RollupBackfill) …');
      backfill = await new RollupBackfill(dataSource, new rollupsModule.Rollups(), quiet as never).run({ settleMs: 0 });
      for (const table of READ_TABLES) await dataSource.query(`VACUUM ANALYZE ${table}`);
    }
    [sizes] = (await dataSource.query(
      `SELECT (SELECT count(*) FROM profile_day)::int AS profile_days, (SELECT count(*) FROM profile_day_event)::int AS profile_day_events,
         (SELECT count(*) FROM profile_first_seen)::int AS profiles, (SELECT count(*) FROM profile_days)::int AS profile_day_arrays, (SELECT count(*) FROM profile_event_times)::int AS profile_event_times,
         pg_size_pretty(pg_total_relation_size('profile_day') + pg_total_relation_size('profile_day_event') + pg_total_relation_size('profile_days') + pg_total_relation_size('profile_event_times') + pg_total_relation_size('profile_first_seen') + pg_total_relation_size('profile_first_event')) AS size`,
    )) as unknown[];
    if (backfill) log(`  backfill: ${backfill.events.toLocaleString('en')} events from ${backfill.partitions} partitions in ${backfill.seconds.toFixed(1)} s → ${JSON.stringify(sizes)}`);

    // (2) the consumer's work per fold on the last day's events of the data set, under a scratch project.
    keepUp = await measureKeepUp(dataSource, dataset.projectId, dataset.now, new rollupsModule.Rollups());
    // The scratch project's rows were written and deleted on pages of the data set's: vacuumed, so
    // the questions' index-only scans do not visit the heap for them (as autovacuum would, later).
    for (const table of READ_TABLES) await dataSource.query(`VACUUM ANALYZE ${table}`);
    log(
      `  rollups from the stream: ${keepUp.events.toLocaleString('en')} events in ${keepUp.folds} folds of ≤ ${keepUp.perFold} in ${keepUp.seconds.toFixed(2)} s = ${Math.round(keepUp.events / keepUp.seconds).toLocaleString('en')} events/s`,
    );
  } finally {
    await dataSource.destroy();
  }

  if (process.env.BENCH_ROLLUPS_ONLY) return;

  // (3) the questions, through the gateway.
  const parquet = await ensureParquet(dataset, { log });
  const baselines = await Baselines.open(dataset, parquet);
  const prefix = uniqueSubjectPrefix();
  const events = await startDatasetEvents(dataset.databaseUrl, { prefix });
  const children: ChildProcess[] = [];
  const workspacePort = await freePort();
  const gatewayPort = await freePort();
  try {
    const common = { NATS_URL: TEST_NATS_URL, NATS_SUBJECT_PREFIX: prefix, INTERNAL_SIGNING_SECRET: TEST_SIGNING_SECRET };
    children.push(
      await startApp('workspace', { ...common, DATABASE_URL: dataset.databaseUrl, DATABASE_SCHEMA: 'bench_workspace', PORT: String(workspacePort) }, `http://127.0.0.1:${workspacePort}/health/ready`),
    );
    // The data set's project, and a secret key for it, as workspace stores them.
    const secret = generateApiKey('secret');
    const db = new pg.Client({ connectionString: dataset.databaseUrl });
    await db.connect();
    await db.query(`INSERT INTO bench_workspace.project (id, project_id, name) VALUES ($1, $1, 'Bench data set') ON CONFLICT (id) DO NOTHING`, [dataset.projectId]);
    await db.query(`INSERT INTO bench_workspace.api_key (id, project_id, kind, name, key_hash, hint) VALUES ($1, $2, 'secret', 'bench', $3, $4)`, [
      randomUUID(),
      dataset.projectId,
      secret.hash,
      secret.hint,
    ]);
    await db.end();
    children.push(
      await startApp(
        'gateway',
        {
          ...common,
          GATEWAY_PORT: String(gatewayPort),
          BOOMERANG_ADMIN_TOKEN: randomBytes(24).toString('hex'),
          SUPERGRAPH_SOURCE: 'introspect',
          SUBGRAPHS: `workspace=http://127.0.0.1:${workspacePort}/graphql,events=http://127.0.0.1:${events.port}/graphql`,
          SUBGRAPH_TIMEOUT_MS: '60000',
        },
        `http://127.0.0.1:${gatewayPort}/health/ready`,
      ),
    );
    const gateway = async <T>(query: string, input: Record<string, unknown>): Promise<T> => {
      const response = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret.key}` },
        body: JSON.stringify({ query, variables: { input } }),
      });
      const answer = (await response.json()) as { data?: T; errors?: unknown };
      if (answer.errors || !answer.data) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(answer.errors)}`);
      return answer.data;
    };
    const now = dataset.now.getTime();
    const last30 = { from: date(now - 30 * DAY_MS), to: date(now) };
    const results: QuestionResult[] = [];
    results.push(
      await baselines.ask(retention12Weeks, {
        runs: RUNS,
        boomerang: async () => {
          const data = await gateway<{ retention: { cohorts: { counts: number[] }[] } }>(
            `query($input: RetentionInput!) { retention(input: $input) { cohorts { counts } } }`,
            { interval: 'N_DAYS', n: 7, intervals: 12, from: date(now - 84 * DAY_MS), to: date(now) },
          );
          // The baselines stop at the data set's now: cohort c has 12 − c intervals.
          return { cohorts: data.retention.cohorts.map((cohort, c) => cohort.counts.slice(0, 12 - c)) };
        },
      }),
    );
    results.push(
      await baselines.ask(funnel4Steps7Days, {
        runs: RUNS,
        boomerang: async () => {
          const data = await gateway<{ funnel: { steps: { profiles: number; medianSecondsFromPrevious: number | null }[] } }>(
            `query($input: FunnelInput!) { funnel(input: $input) { steps { profiles medianSecondsFromPrevious } } }`,
            { steps: FUNNEL_STEPS.map((event) => ({ event })), conversionWindow: 7, ...last30 },
          );
          return {
            steps: data.funnel.steps.map((step) => step.profiles),
            medians: data.funnel.steps.map((step) => (step.medianSecondsFromPrevious == null ? null : Math.round(step.medianSecondsFromPrevious))),
          };
        },
      }),
    );
    results.push(
      await baselines.ask(dau30Days, {
        runs: RUNS,
        boomerang: async () => {
          const data = await gateway<{ trends: { points: { value: number }[] } }>(`query($input: TrendsInput!) { trends(input: $input) { points { value } } }`, {
            measure: 'UNIQUE_PROFILES',
            interval: 'DAY',
            ...last30,
          });
          return { days: data.trends.points.map((point) => point.value) };
        },
      }),
    );
    results.push(
      await baselines.ask(lifecycle12Weeks, {
        runs: RUNS,
        boomerang: async () => {
          const from = lifecycleFrom(dataset.now);
          const data = await gateway<{ lifecycle: { intervals: { new: number; returning: number; resurrecting: number; dormant: number }[] } }>(
            `query($input: LifecycleInput!) { lifecycle(input: $input) { intervals { new returning resurrecting dormant } } }`,
            { interval: 'WEEK', from: date(from), to: date(from + 12 * 7 * DAY_MS) },
          );
          return { weeks: data.lifecycle.intervals.map((week) => [week.new, week.returning, week.resurrecting, week.dormant]) };
        },
      }),
    );
    results.push(
      await baselines.ask(ltv90Days, {
        runs: RUNS,
        boomerang: async () => {
          const from = ltvFrom(dataset.now);
          const data = await gateway<{ valueRetention: { cohorts: { start: string; size: number; revenue: number[] }[] } }>(
            `query($input: ValueRetentionInput!) { valueRetention(input: $input) { cohorts { start size revenue } } }`,
            { interval: 'DAY', intervals: LTV_DAYS, from: date(from), to: date(from + LTV_COHORTS * DAY_MS) },
          );
          return ltvAnswer(
            data.valueRetention.cohorts.flatMap((cohort) => [
              { cohort: cohort.start, k: -1, value: cohort.size },
              ...cohort.revenue.map((value, k) => ({ cohort: cohort.start, k, value })),
            ]),
          );
        },
      }),
    );
    const questions = [retention12Weeks, funnel4Steps7Days, dau30Days, lifecycle12Weeks, ltv90Days] as Question[];
    log('');
    log(`analytics over ${dataset.parameters.profiles.toLocaleString('en')} profiles / ${dataset.parameters.events.toLocaleString('en')} events (Boomerang through the gateway)`);
    for (const line of formatResults(results, questions)) log(line);
    log('');
    log('| question | Boomerang (gateway) | DuckDB (Parquet) | PostgreSQL (raw) | Boomerang / DuckDB | ≤ 2 s | answers |');
    log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const result of results) {
      const boomerang = result.boomerang!.median;
      log(
        `| ${result.question} | ${boomerang.toFixed(3)} s | ${result.duckdb.median.toFixed(3)} s | ${result.postgres.median.toFixed(3)} s | ${(boomerang / result.duckdb.median).toFixed(2)}× | ${boomerang <= 2 ? 'yes' : 'NO'} | ${result.agree ? 'agree' : 'DIFFER'} |`,
      );
    }
    if (backfill) log(`rollups built in ${backfill.seconds.toFixed(1)} s (${Math.round(backfill.events / backfill.seconds).toLocaleString('en')} events/s) → ${JSON.stringify(sizes)}`);
    log(`rollups from the stream: ${Math.round(keepUp.events / keepUp.seconds).toLocaleString('en')} events/s (folds of ≤ ${keepUp.perFold} events; ingest at capacity ~35,600 events/s)`);
    if (results.some((result) => !result.agree)) process.exitCode = 1;
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await baselines.close();
    events.stop();
  }
}

/**
 * The consumer's database work at its largest folds: the data set's events of its last days, with
 * their profiles, replayed in folds of up to 50 messages × 100 events (RollupConsumers' batch) into
 * a scratch project, each fold one transaction under the settings lock as `fold` takes it; then
 * the scratch project's rows are deleted.
 */
async function measureKeepUp(dataSource: Awaited<ReturnType<typeof openServiceDataSource>>, projectId: string, now: Date, rollups: Pick<Rollups, 'applyEvents'>) {
  const scratch = randomUUID();
  const perFold = 5000;
  const rows = (await dataSource.query(
    `SELECT id, profile_id, name, "timestamp", properties FROM event WHERE project_id = $1 AND "timestamp" >= $2 AND "timestamp" < $3 ORDER BY "timestamp" LIMIT 200000`,
    [projectId, new Date(now.getTime() - 3 * DAY_MS), now],
  )) as { id: string; profile_id: string; name: string; timestamp: Date; properties: unknown }[];
  const settings = { timeZone: 'UTC', revenueEvent: 'Charged', revenueProperty: 'Amount' };
  const started = performance.now();
  let folds = 0;
  for (let i = 0; i < rows.length; i += perFold) {
    const batch = rows.slice(i, i + perFold).map((row) => ({
      eventId: randomUUID(),
      messageId: row.id,
      profileId: row.profile_id,
      name: row.name,
      timestamp: row.timestamp.toISOString(),
      properties: (row.properties ?? {}) as Record<string, unknown>,
    }));
    await dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock_shared(hashtextextended('analytics-settings:' || $1, 0))`, [scratch]);
      await rollups.applyEvents(manager, scratch, batch, settings);
    });
    folds++;
  }
  const seconds = (performance.now() - started) / 1000;
  for (const table of READ_TABLES) await dataSource.query(`DELETE FROM ${table} WHERE project_id = $1`, [scratch]);
  return { events: rows.length, folds, seconds, perFold };
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
