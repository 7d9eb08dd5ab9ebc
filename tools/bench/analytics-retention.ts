// Benchmark: analytics' retention over the shared data set (1M profiles, 10M events; dataset/).
// (1) builds the rollups from the data set's events through the real backfill (RollupBackfill,
//     partition by partition), timed on its own; every run starts from empty rollups;
// (2) times the 12-week retention matrix (weekly cohorts by first event from 12 weeks before the
//     data set's now, any event as a return) three ways in one run: Boomerang's `retention` query
//     (the events app from dist/ on the data set's `events` schema, a signed GraphQL request as the
//     gateway sends), hand-written SQL over the raw events in PostgreSQL, DuckDB over Parquet
//     (`Baselines.ask`, answers compared). Goal: ≤ 2 s and no slower than DuckDB.
// Knobs: BENCH_RUNS (default 3), BENCH_PROFILES / BENCH_EVENTS (default 1M / 10M).
import { randomBytes } from 'node:crypto';
import { signCallerContext } from '@boomerang/platform/auth';
import { openServiceDataSource } from '@boomerang/platform/persistence';
import { secretKeyCaller, TEST_SIGNING_SECRET } from '@boomerang/platform/testing';
import { Baselines, ensureBenchDataset, ensureParquet, formatResults, retention12Weeks, startDatasetEvents } from './dataset/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DAY_MS = 86_400_000;

const RETENTION = `query($input: RetentionInput!) { retention(input: $input) { cohorts { start size counts } } }`;
const ROLLUP_TABLES = ['profile_day', 'profile_day_event', 'profile_first_seen', 'profile_first_event', 'analytics_unlinked', 'analytics_profile_gone'];

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const dataset = await ensureBenchDataset({
    log,
    ...(process.env.BENCH_PROFILES ? { profiles: Number(process.env.BENCH_PROFILES) } : {}),
    ...(process.env.BENCH_EVENTS ? { events: Number(process.env.BENCH_EVENTS) } : {}),
  });
  const parquet = await ensureParquet(dataset, { log });
  const baselines = await Baselines.open(dataset, parquet);

  // (1) the rollups, through the backfill the app runs once on start.
  process.env.INTERNAL_SIGNING_SECRET ??= randomBytes(32).toString('hex');
  const eventsApp = await import('../../apps/events/src/app.module.js');
  const { RollupBackfill } = await import('../../apps/events/src/analytics/rollup-backfill.js');
  const { Rollups } = await import('../../apps/events/src/analytics/rollups.js');
  const dataSource = await openServiceDataSource({ url: dataset.databaseUrl, schema: 'events', entities: eventsApp.EVENTS_ENTITIES, migrations: eventsApp.EVENTS_MIGRATIONS, poolSize: 2 });
  let backfill: { partitions: number; events: number; seconds: number };
  let sizes: unknown;
  try {
    await dataSource.query(`TRUNCATE ${ROLLUP_TABLES.join(', ')}`);
    await dataSource.query(`DELETE FROM analytics_settings WHERE project_id = $1`, [dataset.projectId]);
    // Every event of the data set was received before now: all of them are the backfill's.
    await dataSource.query(`UPDATE analytics_backfill SET watermark = now(), done_partitions = '{}', started_at = NULL, completed_at = NULL`);
    const quiet = { info: () => undefined, warn: () => undefined, error: (...args: unknown[]) => console.error(...args) };
    log('building the rollups (RollupBackfill) …');
    backfill = await new RollupBackfill(dataSource, new Rollups(), quiet as never).run({ settleMs: 0 });
    await dataSource.query(`VACUUM ANALYZE profile_day`);
    await dataSource.query(`VACUUM ANALYZE profile_day_event`);
    await dataSource.query(`VACUUM ANALYZE profile_first_seen`);
    await dataSource.query(`VACUUM ANALYZE profile_first_event`);
    [sizes] = (await dataSource.query(
      `SELECT (SELECT count(*) FROM profile_day)::int AS profile_days, (SELECT count(*) FROM profile_day_event)::int AS profile_day_events,
         (SELECT count(*) FROM profile_first_seen)::int AS profiles,
         pg_size_pretty(pg_total_relation_size('profile_day') + pg_total_relation_size('profile_day_event') + pg_total_relation_size('profile_first_seen') + pg_total_relation_size('profile_first_event')) AS size`,
    )) as unknown[];
  } finally {
    await dataSource.destroy();
  }
  log(`  backfill: ${backfill.events.toLocaleString('en')} events from ${backfill.partitions} partitions in ${backfill.seconds.toFixed(1)} s → ${JSON.stringify(sizes)}`);

  // (2) the question, asked of the events app as the gateway would.
  const events = await startDatasetEvents(dataset.databaseUrl);
  const port = events.port;
  try {
    const from = new Date(dataset.now.getTime() - 84 * DAY_MS).toISOString().slice(0, 10);
    const input = { interval: 'N_DAYS', n: 7, intervals: 12, from, to: dataset.now.toISOString().slice(0, 10) };
    const ask = async (): Promise<{ cohorts: number[][] }> => {
      const body = JSON.stringify({ query: RETENTION, variables: { input } });
      const headers = { 'content-type': 'application/json', ...signCallerContext(secretKeyCaller(dataset.projectId), body, TEST_SIGNING_SECRET) };
      const answer = (await (await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers, body })).json()) as {
        data?: { retention: { cohorts: { counts: number[] }[] } };
        errors?: unknown;
      };
      if (answer.errors || !answer.data) throw new Error(`retention: ${JSON.stringify(answer.errors)}`);
      // The baselines stop at the data set's now: cohort c has 12 − c intervals.
      return { cohorts: answer.data.retention.cohorts.map((cohort, c) => cohort.counts.slice(0, 12 - c)) };
    };
    const result = await baselines.ask(retention12Weeks, { runs: RUNS, boomerang: ask });
    log('');
    log(`analytics retention over ${dataset.parameters.profiles.toLocaleString('en')} profiles / ${dataset.parameters.events.toLocaleString('en')} events`);
    for (const line of formatResults([result])) log(line);
    log(
      `  Boomerang / DuckDB = ${(result.boomerang!.median / result.duckdb.median).toFixed(2)}× (goal ≤ 1×), ${result.boomerang!.median <= 2 ? 'within' : 'OVER'} the 2 s goal; rollups built in ${backfill.seconds.toFixed(1)} s`,
    );
    if (!result.agree) process.exitCode = 1;
  } finally {
    await baselines.close();
    events.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
