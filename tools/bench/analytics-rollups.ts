// Benchmark (issue 18): do the analytics rollups keep up with ingest? The events app runs in this
// process on a scratch schema and NATS prefix, as in production: IngestEvents (the use case
// /v1/batch calls, here without HTTP, so the ingest side is if anything faster than bench:ingest's)
// stores BENCH_EVENTS events of BENCH_PROFILES known profiles over the last BENCH_SPREAD_DAYS days (live
// traffic: mostly today's; 30 days is the worst case for the fold, nearly every event a new profile-day), in batches of
// 100 from BENCH_CLIENTS concurrent callers (64, as bench:ingest: enough to fill its write groups).
// Each side is measured on its own, in this one run, so neither's rate includes the other's CPU:
//   ingest         events / time to store them all, while the app's rollup consumer
//                  (`events-analytics-rollups`) waits: the bench holds the project's settings lock
//                  exclusively (as a settings change does), so the consumer's first fold blocks;
//   rollups        the lock released, the same consumer folds the burst's EventsIngested messages
//                  (batches of up to ROLLUP_BATCH_MESSAGES, each in ROLLUP_FOLD_PARTS transactions at
//                  once, inbox rows, acks): events / time until nothing is pending, with nothing else
//                  running (this process's CPU meanwhile printed too). That is the fold's own rate, and
//                  the goal is it ≥ ingest's (printed as the verdict): a consumer slower than ingest
//                  falls further behind for as long as ingest runs at capacity;
//   rollups alone  the same events folded again by RollupConsumers.fold under a scratch project, in
//                  ONE transaction per consumer batch (no parts), without NATS or inbox: first as new
//                  profiles' events, then again as more events of the same profile-days.
// Knobs: BENCH_EVENTS (default 200,000), BENCH_PROFILES (20,000), BENCH_SPREAD_DAYS (1), BENCH_CLIENTS (64);
// the app's ROLLUP_FOLD_PARTS (2).
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { v7 as timeOrderedUuid } from 'uuid';
import { DataSource } from 'typeorm';
import type { IngestedEvent } from '@boomerang/contracts';
import type { RollupFoldConfig } from '../../apps/events/src/analytics/rollup-fold-config.js';
import { eventually, newKnownProfiles, serveTestIngestPolicies, startTestSubgraph } from '@boomerang/platform/testing';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PROFILES = Number(process.env.BENCH_PROFILES ?? 20_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
const SPREAD_DAYS = Number(process.env.BENCH_SPREAD_DAYS ?? 1);
const PER_BATCH = 100;
const DAY_MS = 86_400_000;
const NAMES = ['App Opened', 'Product Viewed', 'Product Viewed', 'Added To Cart', 'Search', 'Charged'];

/** A well-spread 32-bit number for n (murmur3's finaliser): the same events in every run. */
function spread(n: number): number {
  let h = n >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const log = (line: string) => console.log(`[analytics-rollups] ${line}`);
const load = () => loadavg().map((value) => value.toFixed(1)).join(' ');

async function main(): Promise<void> {
  const sut = await startTestSubgraph(() => import('../../apps/events/src/app.module.js').then((m) => m.AppModule), { service: 'events' });
  serveTestIngestPolicies(sut.messaging);
  const { IngestEvents } = await import('../../apps/events/src/ingestion/ingest-events.use-case.js');
  const { ANALYTICS_EVENTS_DURABLE, ROLLUP_BATCH_MESSAGES, RollupConsumers } = await import('../../apps/events/src/analytics/rollup.consumers.js');
  const { SETTINGS_LOCK } = await import('../../apps/events/src/analytics/analytics-settings.js');
  const { ROLLUP_FOLD_CONFIG } = await import('../../apps/events/src/analytics/rollup-fold-config.js');
  const parts = sut.app.get<unknown, RollupFoldConfig>(ROLLUP_FOLD_CONFIG).ROLLUP_FOLD_PARTS;
  const db = sut.app.get(DataSource);
  try {
    const projectId = randomUUID();
    const profiles = await newKnownProfiles(sut, projectId, PROFILES);
    const now = Date.now();
    const command = (n: number) => {
      const r = spread(n);
      const name = NAMES[r % NAMES.length]!;
      return {
        messageId: randomUUID(),
        type: 'track' as const,
        name,
        profileId: profiles[r % PROFILES]!,
        userId: null,
        anonymousId: null,
        properties: name === 'Charged' ? { Amount: (r % 5000) / 100, currency: 'INR' } : { screen: `s${r % 20}`, source: r % 3 === 0 ? 'ads' : 'organic' },
        traits: null,
        previousId: null,
        context: null,
        timestamp: new Date(now - (spread(n + 1) % (SPREAD_DAYS * DAY_MS))),
        sentAt: null,
        receivedAt: new Date(),
      };
    };
    const ingest = sut.app.get(IngestEvents);
    const pending = async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('events'), ANALYTICS_EVENTS_DURABLE);
      return info.num_pending + info.num_ack_pending;
    };
    // Warm-up: code compiled, consumer attached.
    await ingest.execute(projectId, Array.from({ length: PER_BATCH }, (_, i) => command(EVENTS + i)));
    await sut.flushOutbox();
    await eventually(async () => (await pending()) === 0, { timeoutMs: 60_000 });

    log(`${EVENTS.toLocaleString('en')} events of ${PROFILES.toLocaleString('en')} profiles over ${SPREAD_DAYS} day(s), ${CLIENTS} concurrent callers of ${PER_BATCH}; load before: ${load()}`);
    const batches = Array.from({ length: Math.ceil(EVENTS / PER_BATCH) }, (_, b) => Array.from({ length: Math.min(PER_BATCH, EVENTS - b * PER_BATCH) }, (_, i) => command(b * PER_BATCH + i)));
    // The consumer's folds of the project wait while this session holds its settings lock (they take it shared).
    const hold = db.createQueryRunner();
    await hold.connect();
    await hold.query(`SELECT pg_advisory_lock(${SETTINGS_LOCK})`, [projectId]);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await hold.query(`SELECT pg_advisory_unlock(${SETTINGS_LOCK})`, [projectId]);
      await hold.release();
    };
    let ingestSeconds: number;
    try {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < batches.length) await ingest.execute(projectId, batches[next++]!);
        }),
      );
      ingestSeconds = (performance.now() - started) / 1000;
      await sut.flushOutbox();
    } finally {
      await release();
    }
    const drainStarted = performance.now();
    const drainCpu = process.cpuUsage();
    await eventually(async () => (await pending()) === 0, { timeoutMs: 1_800_000, intervalMs: 100 });
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    const { user, system } = process.cpuUsage(drainCpu);
    const ingestRate = EVENTS / ingestSeconds;
    const foldRate = EVENTS / drainSeconds;
    log(`ingest: ${Math.round(ingestRate).toLocaleString('en')} events/s (${ingestSeconds.toFixed(1)} s, the rollup consumer held off); load: ${load()}`);
    log(`rollups: ${Math.round(foldRate).toLocaleString('en')} events/s = ${(foldRate / ingestRate).toFixed(2)}x ingest (the consumer folding the burst in ${drainSeconds.toFixed(1)} s, ${parts} part(s) at once, nothing else running; this process's CPU ${((user + system) / 1e6).toFixed(1)} s); load: ${load()}`);
    const [{ days }] = (await db.query(`SELECT count(*)::int AS days FROM profile_day WHERE project_id = $1`, [projectId])) as [{ days: number }];
    // Each batch's own inbox rows are written by one transaction (its parts' rows are dropped): distinct xmins are the batches.
    const [{ messages, folds }] = (await db.query(`SELECT count(*)::int AS messages, count(DISTINCT xmin::text)::int AS folds FROM inbox WHERE consumer = $1 AND project_id = $2`, [
      ANALYTICS_EVENTS_DURABLE,
      projectId,
    ])) as [{ messages: number; folds: number }];
    log(`rollups: ${messages.toLocaleString('en')} EventsIngested messages in ${folds.toLocaleString('en')} batches (${(messages / folds).toFixed(1)} messages, ${Math.round(EVENTS / folds)} events a batch)`);
    log(
      `goal (issue 18: the rollups keep up with ingest, the fold's own rate ≥ ingest's): ${foldRate >= ingestRate ? 'MET' : 'NOT MET'} (${(foldRate / ingestRate).toFixed(2)}x)`,
    );

    // The fold alone: the same events again, under a scratch project, in transactions of the live folds' size.
    const rows = (await db.query(`SELECT id, profile_id, name, "timestamp", properties FROM event WHERE project_id = $1 ORDER BY id`, [projectId])) as {
      id: string;
      profile_id: string;
      name: string;
      timestamp: Date;
      properties: Record<string, unknown>;
    }[];
    const scratch = randomUUID();
    const events: IngestedEvent[] = rows.map((row) => ({ eventId: timeOrderedUuid(), messageId: row.id, profileId: row.profile_id, name: row.name, timestamp: row.timestamp.toISOString(), properties: row.properties }));
    // An EventsIngested message holds one ingest group's events (a few hundred); a consumer batch up to ROLLUP_BATCH_MESSAGES of them.
    const perFold = Math.round(EVENTS / messages) * ROLLUP_BATCH_MESSAGES;
    const consumers = sut.app.get(RollupConsumers);
    // Twice: first as new profiles' events (rows inserted), then again as more of the same profiles' events (rows updated: live traffic's usual case).
    for (const pass of ['new rows', 'existing rows']) {
      const alone = performance.now();
      for (let i = 0; i < events.length; i += perFold) {
        const fold = events.slice(i, i + perFold).map((event) => ({ ...event, eventId: timeOrderedUuid() }));
        await db.transaction((manager) => consumers.fold(manager, scratch, fold));
      }
      const aloneRate = events.length / ((performance.now() - alone) / 1000);
      log(`rollups alone (one transaction a batch), ${pass}: ${Math.round(aloneRate).toLocaleString('en')} events/s = ${(aloneRate / ingestRate).toFixed(2)}x ingest (folds of ≤ ${perFold.toLocaleString('en')} events, ${days.toLocaleString('en')} profile-days); load: ${load()}`);
    }
  } finally {
    await sut.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
