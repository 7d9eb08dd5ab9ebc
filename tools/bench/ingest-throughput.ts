// Benchmark: realistic track events through the Segment-compatible ingestion API (/v1/batch,
// 100 events per batch, a few concurrent clients) against a raw PostgreSQL COPY of the very rows
// ingest stored into a fresh table identical to `events.event` (same partitions and indexes), in
// one run, once the platform has caught up (so the COPY does not share the CPU with consumers
// still working off the ingest). Also measures ingest → JetStream publish latency under load
// (HTTP request sent → EventIngested arriving on NATS) and where the CPU went during ingest.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { connectMessaging, deleteStreamsWithPrefix } from '@boomerang/platform/messaging';
import { bearer, startTestPlatform } from '../dev/test-platform.js';
import { freePort } from '../dev/platform.mjs';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const PER_BATCH = Number(process.env.BENCH_BATCH ?? 100);
/** How long the COPY waits for the platform's consumers to work off the ingest. */
const CATCH_UP_LIMIT_S = Number(process.env.BENCH_CATCH_UP_S ?? 120);
const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
const NATS_URL = process.env.TEST_NATS_URL ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A track call the size of a typical e-commerce event (≈ 0.7 KB as JSON). */
function trackEvent(n: number) {
  return {
    type: 'track',
    event: 'Product Viewed',
    messageId: `bench-${n}-${randomBytes(6).toString('hex')}`,
    userId: `user-${n % 5000}`,
    anonymousId: randomUUID(),
    timestamp: new Date().toISOString(),
    properties: {
      product_id: `SKU-${n % 997}`,
      name: 'Organic Cotton Crew-neck T-shirt',
      category: 'Apparel/Men/T-shirts',
      brand: 'Boomerang Basics',
      price: 24.99,
      currency: 'EUR',
      position: n % 40,
      url: `https://shop.example.com/products/sku-${n % 997}?ref=home`,
    },
    context: {
      library: { name: '@segment/analytics-node', version: '3.1.0' },
      ip: '203.0.113.42',
      locale: 'en-GB',
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
      page: { path: '/products', referrer: 'https://shop.example.com/' },
    },
  };
}
type TrackEvent = ReturnType<typeof trackEvent>;

/**
 * Loaded into each app: the first SIGWINCH starts V8's profiler, the second writes
 * `<app>-<pid>.cpuprofile`, so the profile covers the measured window only. (SIGWINCH: Nest's
 * shutdown hooks take SIGUSR2, V8's sampler SIGPROF; unhandled it is ignored.)
 */
const CPU_PROFILE_PRELOAD = `
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
session.post('Profiler.enable');
const app = /apps\\/([\\w-]+)\\//.exec(process.argv[1] ?? '')?.[1] ?? 'node';
let running = false;
process.on('SIGWINCH', () => {
  if (!running) {
    running = true;
    session.post('Profiler.start');
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(process.env.BENCH_CPU_PROF + '/' + app + '-' + process.pid + '.cpuprofile', JSON.stringify(result.profile));
  });
});
`;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The functions with the most self time in a V8 CPU profile, as printable lines. */
function hottest(file: string, count: number): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id)!;
    const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    const micros = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + micros);
    if (!['(idle)', '(program)'].includes(frame.functionName)) total += micros;
  });
  return [...self.entries()]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** CPU seconds (user + system) a process has used so far, or undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/** The processes that do the ingest work, by group: this bench, each app, our PostgreSQL backends, NATS. */
async function processGroups(db: pg.Client, database: string): Promise<Map<number, string>> {
  const groups = new Map<number, string>([[process.pid, 'bench client']]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      const app = /dist\/apps\/([\w-]+)\/src\/main\.js/.exec(cmdline)?.[1];
      if (app && parent === process.pid) groups.set(Number(entry), `${app} (node)`);
      else if (/^(\S*\/)?nats-server\b/.test(cmdline)) groups.set(Number(entry), 'nats-server');
      else if (/^postgres: .*(walwriter|checkpointer|background writer|autovacuum|walsender)/.test(cmdline)) {
        groups.set(Number(entry), 'postgres background (shared server)');
      }
    } catch {
      // exited while listing
    }
  }
  const backends = (await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database])).rows as { pid: number }[];
  for (const { pid } of backends) groups.set(pid, 'postgres backends (bench database)');
  return groups;
}

/** CPU seconds per group between two samples (processes of either sample; ones gone by the end count until they were last seen). */
function cpuByGroup(groups: Map<number, string>, before: Map<number, number>): Map<string, number> {
  const used = new Map<string, number>();
  for (const [pid, group] of groups) {
    const now = cpuSeconds(pid);
    if (now === undefined) continue;
    used.set(group, (used.get(group) ?? 0) + now - (before.get(pid) ?? 0));
  }
  return used;
}

const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const database = `boomerang_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const databaseUrl = `${SERVER_URL}/${database}`;
const prefix = `bench${randomBytes(4).toString('hex')}.`;
const ingestPort = await freePort();
// BENCH_CPU_PROF=<dir>: every app writes a V8 CPU profile there when it stops (open in Chrome
// DevTools); the events app's hottest functions are printed. (--cpu-prof is refused in NODE_OPTIONS.)
const profileDir = process.env.BENCH_CPU_PROF;
let cpuProfile = {};
if (profileDir) {
  mkdirSync(profileDir, { recursive: true });
  const preload = join(profileDir, 'cpu-profile-preload.mjs');
  writeFileSync(preload, CPU_PROFILE_PRELOAD);
  cpuProfile = { NODE_OPTIONS: `--import=${preload}`, BENCH_CPU_PROF: profileDir };
}
const platform = await startTestPlatform({
  DATABASE_URL: databaseUrl,
  NATS_SUBJECT_PREFIX: prefix,
  INGEST_PORT: String(ingestPort),
  LOG_LEVEL: 'warn',
  ...cpuProfile,
});
const messaging = await connectMessaging({ url: NATS_URL, name: 'bench-ingest', prefix });
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
try {
  const created = await platform.graphql<{ createProject: { project: { id: string }; publishableKey: { key: string } } }>(
    `mutation { createProject(input: { name: "Ingest bench" }) { project { id } publishableKey { key } } }`,
    {},
    bearer(platform.adminToken),
  );
  const { project, publishableKey } = created.data!.createProject;
  const authorization = `Basic ${Buffer.from(`${publishableKey.key}:`).toString('base64')}`;
  const url = `http://127.0.0.1:${ingestPort}/v1/batch`;

  // Ingest → publish latency: the send time of each event's batch against the arrival of its message.
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const subscription = messaging.nc.subscribe(`${prefix}events.${project.id}.ingested`, {
    callback: (_error, message) => {
      const id = message.json<{ messageId: string }>().messageId;
      const started = sentAt.get(id);
      if (started !== undefined) {
        latencies.push(performance.now() - started);
        sentAt.delete(id);
      }
    },
  });

  let counter = 0;
  let eventBytes = 0;
  let errors = 0;
  const post = async (events: TrackEvent[]) => {
    const body = JSON.stringify({ batch: events, sentAt: new Date().toISOString() });
    const started = performance.now();
    for (const event of events) sentAt.set(event.messageId, started);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
    await response.arrayBuffer();
    if (!response.ok) errors++;
    return response.ok;
  };
  // Warm up (key cache, pools, JIT).
  for (let i = 0; i < 20; i++) await post(Array.from({ length: PER_BATCH }, () => trackEvent(counter++)));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  latencies.length = 0;

  let ingested = 0;
  const groups = await processGroups(db, database);
  const cpuBefore = new Map([...groups.keys()].map((pid) => [pid, cpuSeconds(pid) ?? 0]));
  const apps = [...groups].filter(([, group]) => group.endsWith('(node)')).map(([pid]) => pid);
  if (profileDir) for (const pid of apps) process.kill(pid, 'SIGWINCH');
  const deadline = performance.now() + DURATION_S * 1000;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const events = Array.from({ length: PER_BATCH }, () => trackEvent(counter++));
        eventBytes += events.reduce((sum, event) => sum + JSON.stringify(event).length, 0);
        if (await post(events)) ingested += events.length;
      }
    }),
  );
  const ingestSeconds = (performance.now() - began) / 1000;
  if (profileDir) for (const pid of apps) process.kill(pid, 'SIGWINCH');
  // Backends opened during the run count from zero.
  for (const [pid, group] of await processGroups(db, database)) if (!groups.has(pid)) groups.set(pid, group);
  const cpu = cpuByGroup(groups, cpuBefore);
  const deadlineForMessages = Date.now() + 30_000;
  while (sentAt.size > 0 && latencies.length < ingested && Date.now() < deadlineForMessages) await new Promise((resolve) => setTimeout(resolve, 100));
  subscription.unsubscribe();
  const sorted = [...latencies].sort((a, b) => a - b);

  // Wait until every consumer of the events stream has worked off the ingest, so the COPY below
  // runs on a machine as quiet as the one ingest started on.
  const caughtUpStarted = performance.now();
  const stream = messaging.subjects.streamName('events');
  const backlog = async () =>
    (await messaging.jsm.consumers.list(stream).next())
      .filter((consumer) => consumer.num_pending + consumer.num_ack_pending > 0)
      .map((consumer) => `${consumer.name} ${consumer.num_pending + consumer.num_ack_pending}`);
  const backlogAtEnd = await backlog();
  let behind = backlogAtEnd;
  while (behind.length > 0 && performance.now() - caughtUpStarted < CATCH_UP_LIMIT_S * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    behind = await backlog();
  }
  const caughtUpSeconds = (performance.now() - caughtUpStarted) / 1000;

  // Baseline: the rows ingest stored, exactly, COPY'd into a fresh table identical to events.event
  // (same columns, constraints, indexes and monthly partitions) by as many streams as there were clients.
  await db.query(`CREATE TABLE events.event_copy (LIKE events.event INCLUDING ALL) PARTITION BY RANGE ("timestamp")`);
  const partitions = (
    await db.query(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'events.event'::regclass`,
    )
  ).rows as { name: string; bound: string }[];
  for (const { name, bound } of partitions) await db.query(`CREATE TABLE events."${name}_copy" PARTITION OF events.event_copy ${bound}`);
  const indexCount = async (table: string) =>
    ((await db.query(`SELECT count(*)::int AS n FROM pg_index WHERE indrelid = $1::regclass`, [table])).rows[0].n as number);
  const exported: Buffer[] = [];
  await pipeline(
    db.query(copyTo(`COPY (SELECT * FROM events.event WHERE project_id = '${project.id}') TO STDOUT`)),
    new Writable({ write: (chunk: Buffer, _encoding, done) => void (exported.push(chunk), done()) }),
  );
  const lines = Buffer.concat(exported).toString('utf8').split('\n').filter(Boolean);
  const copyStarted = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const connection = new pg.Client({ connectionString: databaseUrl });
      await connection.connect();
      try {
        const mine = lines.filter((_line, i) => i % CLIENTS === client);
        await pipeline(Readable.from(mine.map((line) => `${line}\n`)), connection.query(copyFrom(`COPY events.event_copy FROM STDIN`)));
      } finally {
        await connection.end();
      }
    }),
  );
  const copySeconds = (performance.now() - copyStarted) / 1000;
  const copied = lines.length;
  const copyBytes = lines.reduce((sum, line) => sum + line.length + 1, 0);

  const stored = (await db.query(`SELECT count(*)::int AS n FROM events.event WHERE project_id = $1`, [project.id])).rows[0].n as number;
  const ingestRate = ingested / ingestSeconds;
  const copyRate = copied / copySeconds;
  console.log(`\nIngestion: ${CLIENTS} clients, ${PER_BATCH} track events per /v1/batch, ${DURATION_S} s; average event ${(eventBytes / Math.max(1, counter - 20 * PER_BATCH)).toFixed(0)} bytes of JSON`);
  console.log(`/v1/batch ingest      ${ingestRate.toFixed(0).padStart(8)} events/s  (${ingested} acknowledged + ${20 * PER_BATCH} warm-up, ${stored} stored, ${errors} failed batches)`);
  console.log(
    `raw COPY (${CLIENTS} streams) ${copyRate.toFixed(0).padStart(8)} events/s  (the ${copied} stored rows, ${(copyBytes / copied).toFixed(0)} bytes each as COPY text, into a fresh copy of events.event: ${await indexCount('events.event_copy')} vs ${await indexCount('events.event')} indexes, ${partitions.length} partitions)`,
  );
  console.log(`ratio ingest/COPY     ${(ingestRate / copyRate).toFixed(2)}x`);
  console.log(
    behind.length === 0
      ? `platform caught up    ${caughtUpSeconds.toFixed(1)} s after the last acknowledged batch (backlog then: ${backlogAtEnd.join(', ') || 'none'}; COPY ran after)`
      : `platform NOT caught up after ${caughtUpSeconds.toFixed(0)} s (still behind: ${behind.join(', ')}); COPY shared the machine with them`,
  );
  console.log(`ingest → JetStream    p50 ${percentile(sorted, 50).toFixed(0)} ms   p95 ${percentile(sorted, 95).toFixed(0)} ms   p99 ${percentile(sorted, 99).toFixed(0)} ms  (${sorted.length} messages timed)`);
  console.log(`CPU during ingest (${ingestSeconds.toFixed(1)} s × 2 cores = ${(ingestSeconds * 2).toFixed(0)} core-s; load average before: ${loadBefore}):`);
  for (const [group, seconds] of [...cpu.entries()].sort((a, b) => b[1] - a[1])) {
    if (seconds >= 0.05) console.log(`  ${group.padEnd(38)} ${seconds.toFixed(1).padStart(6)} s  ${((100 * seconds) / (ingestSeconds * 2)).toFixed(0).padStart(3)}%`);
  }
} finally {
  await db.end();
  await platform.stop();
  for (const file of profileDir ? readdirSync(profileDir).filter((name) => /^events-\d+\.cpuprofile$/.test(name)) : []) {
    console.log(`events app, self time by function during ingest (busy samples; ${join(profileDir!, file)}):`);
    for (const line of hottest(join(profileDir!, file), 25)) console.log(`  ${line}`);
  }
  await deleteStreamsWithPrefix(messaging.jsm, messaging.subjects).catch(() => undefined);
  await messaging.nc.drain();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
