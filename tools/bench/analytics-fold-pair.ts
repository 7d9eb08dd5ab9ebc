// The rollup fold's PostgreSQL CPU, this build against another, paired (issue 18): wall-clock rates swing 2x
// with the machine's load, so each fold of the same events runs in both builds back to back (alternating
// which goes first), each in its own schema migrated by its own build, and the backend's CPU of each is read
// from /proc/<pid>/schedstat (PostgreSQL on this machine). One fold = one transaction: `beginFold` and
// `Rollups.applyEvents` as `RollupConsumers.fold` calls them, without NATS, inbox or watermark.
//   BENCH_BEFORE_DIST=/work/wt/base/dist node dist/tools/bench/analytics-fold-pair.js
// Events as bench:analytics:rollups (BENCH_EVENTS 200,000 of BENCH_PROFILES 20,000 over the last day, names and
// amounts alike), in folds of BENCH_FOLD (20,000: a live consumer batch of a burst; the before side's of
// BENCH_BEFORE_FOLD, default the same, so one build's fold sizes compare too); BENCH_ROUNDS rounds, each
// a fresh project (new rows first, then more of the same profile-days). Prints µs per event of each build and
// after/before: the total's ratio and the median of the folds' ratios.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { v7 as timeOrderedUuid } from 'uuid';
import type { DataSource, EntityManager } from 'typeorm';
import type { IngestedEvent } from '@boomerang/contracts';

const BEFORE_DIST = process.env.BENCH_BEFORE_DIST;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PROFILES = Number(process.env.BENCH_PROFILES ?? 20_000);
const FOLD = Number(process.env.BENCH_FOLD ?? 20_000);
/** The before side's folds (default BENCH_FOLD): a multiple or a divisor of BENCH_FOLD, to compare fold sizes of one build. */
const BEFORE_FOLD = Number(process.env.BENCH_BEFORE_FOLD ?? FOLD);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DAY_MS = 86_400_000;
const NAMES = ['App Opened', 'Product Viewed', 'Product Viewed', 'Added To Cart', 'Search', 'Charged'];
const SETTINGS = { timeZone: 'UTC', revenueEvent: 'Charged', revenueProperty: 'Amount' } as const;

interface Build {
  label: string;
  dataSource: DataSource;
  fold(manager: EntityManager, projectId: string, events: IngestedEvent[]): Promise<void>;
  drop(): Promise<void>;
}

/** A well-spread 32-bit number for n (murmur3's finaliser), as bench:analytics:rollups. */
function spread(n: number): number {
  let h = n >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** CPU time (ns) a PostgreSQL backend has run: the first field of its schedstat. */
const backendCpu = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);

/** The fold of the build whose dist/ is `root` (its apps/ and libs/ directories), on a schema of its own migrations. */
async function openBuild(label: string, root: string): Promise<Build> {
  const { createIsolatedSchema } = (await import(`${root}/libs/platform/testing/src/index.js`)) as typeof import('@boomerang/platform/testing');
  const app = (await import(`${root}/apps/events/src/app.module.js`)) as typeof import('../../apps/events/src/app.module.js');
  const rollups = (await import(`${root}/apps/events/src/analytics/rollups.js`)) as typeof import('../../apps/events/src/analytics/rollups.js');
  const schema = await createIsolatedSchema('foldpair', { entities: app.EVENTS_ENTITIES, migrations: app.EVENTS_MIGRATIONS });
  const sut = new rollups.Rollups();
  return {
    label,
    dataSource: schema.dataSource,
    async fold(manager, projectId, events) {
      await rollups.beginFold(manager, projectId);
      await sut.applyEvents(manager, projectId, events, SETTINGS);
    },
    drop: () => schema.drop(),
  };
}

async function main(): Promise<void> {
  if (!BEFORE_DIST) throw new Error('BENCH_BEFORE_DIST: the dist/ directory of the build to compare with');
  process.env.INTERNAL_SIGNING_SECRET ??= randomBytes(32).toString('hex');
  const thisDist = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
  const builds = [await openBuild('before', BEFORE_DIST), await openBuild('after', thisDist)];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const profiles = Array.from({ length: PROFILES }, () => randomUUID());
      const now = Date.now();
      const events: IngestedEvent[] = Array.from({ length: EVENTS }, (_, i) => {
        const n = i + round * EVENTS;
        const r = spread(n);
        const name = NAMES[r % NAMES.length]!;
        return {
          eventId: timeOrderedUuid(),
          messageId: randomUUID(),
          profileId: profiles[r % PROFILES]!,
          name,
          timestamp: new Date(now - (spread(n + 1) % DAY_MS)).toISOString(),
          properties: name === 'Charged' ? { Amount: (r % 5000) / 100 } : { screen: `s${r % 20}` },
        };
      });
      const projects = builds.map(() => randomUUID());
      const cpu = builds.map(() => [] as number[]);
      // A step is the larger side's fold; the other side folds the same events in as many folds as fit.
      const step = Math.max(FOLD, BEFORE_FOLD);
      const sizes = [BEFORE_FOLD, FOLD];
      for (let start = 0, k = 0; start < EVENTS; start += step, k++) {
        const stepEvents = events.slice(start, start + step);
        for (const b of k % 2 === 0 ? [0, 1] : [1, 0]) {
          let used = 0;
          for (let at = 0; at < stepEvents.length; at += sizes[b]!) {
            await builds[b]!.dataSource.transaction(async (manager) => {
              const [{ pid }] = (await manager.query(`SELECT pg_backend_pid() AS pid`)) as [{ pid: number }];
              const before = backendCpu(pid);
              await builds[b]!.fold(manager, projects[b]!, stepEvents.slice(at, at + sizes[b]!));
              used += backendCpu(pid) - before;
            });
          }
          cpu[b]!.push(used);
        }
      }
      const total = cpu.map((folds) => folds.reduce((sum, ns) => sum + ns, 0));
      const ratios = cpu[1]!.map((ns, k) => ns / cpu[0]![k]!).sort((a, b) => a - b);
      const perEvent = (ns: number) => `${(ns / EVENTS / 1e3).toFixed(1)} µs/event`;
      console.log(
        `[analytics-fold-pair] round ${round + 1}: before ${perEvent(total[0]!)}, after ${perEvent(total[1]!)}; after/before ${(total[1]! / total[0]!).toFixed(3)} (median fold ${ratios[Math.floor(ratios.length / 2)]!.toFixed(3)}); load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`,
      );
    }
  } finally {
    for (const build of builds) await build.drop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
