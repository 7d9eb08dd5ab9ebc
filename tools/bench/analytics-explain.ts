// The analytics bench's five questions asked of the query classes directly (no gateway), each
// statement timed and printed with EXPLAIN (ANALYZE, BUFFERS): `node dist/tools/bench/analytics-explain.js [question…]`
// (retention, funnel, dau, lifecycle, ltv; default all). Reads the rollups `bench:analytics` built.
import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { openServiceDataSource } from '@boomerang/platform/persistence';
import { ensureBenchDataset } from './dataset/index.js';

const DAY_MS = 86_400_000;
const date = (time: number) => new Date(time).toISOString().slice(0, 10);

async function main(): Promise<void> {
  process.env.INTERNAL_SIGNING_SECRET ??= randomBytes(32).toString('hex');
  const dataset = await ensureBenchDataset({});
  const eventsApp = await import('../../apps/events/src/app.module.js');
  const { AnalyticsSettingsStore } = await import('../../apps/events/src/analytics/analytics-settings.js');
  const { AnalyticsFilters } = await import('../../apps/events/src/analytics/analytics-filter.js');
  const { RetentionQuery } = await import('../../apps/events/src/analytics/retention.query.js');
  const { FunnelQuery } = await import('../../apps/events/src/analytics/funnel.query.js');
  const { TrendsQuery } = await import('../../apps/events/src/analytics/trends.query.js');
  const { LifecycleQuery } = await import('../../apps/events/src/analytics/lifecycle.query.js');
  const { ValueRetentionQuery } = await import('../../apps/events/src/analytics/value-retention.query.js');
  const real = await openServiceDataSource({ url: dataset.databaseUrl, schema: 'events', entities: eventsApp.EVENTS_ENTITIES, migrations: eventsApp.EVENTS_MIGRATIONS, poolSize: 2 });
  const explain = process.env.EXPLAIN !== '0';
  // Every statement of a question's transaction but SET is explained, then run for its answer.
  const wrapped = new Proxy(real, {
    get(target, key, receiver) {
      if (key !== 'transaction') return Reflect.get(target, key, receiver);
      return (...args: unknown[]) => {
        const work = args[args.length - 1] as (manager: EntityManager) => Promise<unknown>;
        return target.transaction((manager) =>
          work(
            new Proxy(manager, {
              get(m, k, r) {
                if (k !== 'query') return Reflect.get(m, k, r);
                return async (sql: string, params?: unknown[]) => {
                  if (/^\s*SET/i.test(sql)) return m.query(sql, params);
                  if (process.env.SQL) console.log(sql, JSON.stringify(params));
                  if (explain) {
                    const plan = (await m.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)) as { 'QUERY PLAN': string }[];
                    console.log(plan.map((row) => row['QUERY PLAN']).join('\n'));
                  }
                  const started = performance.now();
                  const rows = await m.query(sql, params);
                  console.log(`  statement: ${((performance.now() - started) / 1000).toFixed(3)} s`);
                  return rows;
                };
              },
            }),
          ),
        );
      };
    },
  }) as DataSource;
  const clock = { now: () => dataset.now } as never;
  const settings = new AnalyticsSettingsStore(wrapped, clock);
  const filters = new AnalyticsFilters({} as never);
  const now = dataset.now.getTime();
  const p = dataset.projectId;
  const monday = now - ((dataset.now.getUTCDay() + 6) % 7) * DAY_MS;
  const lifecycleFrom = Date.UTC(new Date(monday).getUTCFullYear(), new Date(monday).getUTCMonth(), new Date(monday).getUTCDate()) - 12 * 7 * DAY_MS;
  const questions: Record<string, () => Promise<unknown>> = {
    retention: () => new RetentionQuery(wrapped, settings, filters, clock).retention(p, { interval: 'N_DAYS', n: 7, intervals: 12, from: date(now - 84 * DAY_MS), to: date(now) }),
    funnel: () =>
      new FunnelQuery(wrapped, settings, filters).funnel(p, {
        steps: ['App Opened', 'Product Viewed', 'Added To Cart', 'Charged'].map((event) => ({ event })),
        conversionWindow: 7,
        from: date(now - 30 * DAY_MS),
        to: date(now),
      }),
    dau: () => new TrendsQuery(wrapped, settings, filters).trends(p, { measure: 'UNIQUE_PROFILES', interval: 'DAY', from: date(now - 30 * DAY_MS), to: date(now) } as never),
    lifecycle: () => new LifecycleQuery(wrapped, settings, filters).lifecycle(p, { interval: 'WEEK', from: date(lifecycleFrom), to: date(lifecycleFrom + 12 * 7 * DAY_MS) }),
    ltv: () =>
      new ValueRetentionQuery(wrapped, settings, filters, clock).valueRetention(p, { interval: 'DAY', intervals: 90, from: date(now - 120 * DAY_MS), to: date(now - 90 * DAY_MS) }),
  };
  const asked = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(questions);
  try {
    for (const name of asked) {
      console.log(`== ${name}`);
      const started = performance.now();
      const answer = await questions[name]!();
      console.log(`== ${name}: ${((performance.now() - started) / 1000).toFixed(3)} s ${JSON.stringify(answer).slice(0, 300)}`);
    }
  } finally {
    await real.destroy();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
