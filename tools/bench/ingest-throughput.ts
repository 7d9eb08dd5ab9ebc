// Benchmark: realistic track events through the Segment-compatible ingestion API (/v1/batch, 100
// events per batch, 64 concurrent clients: enough to load the ingest path to capacity, as an
// endpoint serving many SDKs is) against a raw PostgreSQL COPY of the very rows ingest stored into
// a fresh table identical to `events.event` (same partitions and indexes), in one run. The COPY is
// tried with each of BENCH_COPY_STREAMS concurrent streams (default 2 and 8) and the fastest is the
// baseline, so the ratio is against the best raw COPY found. It runs in rounds (BENCH_ROUNDS,
// default 3): an ingest window, then, with every app paused (so the COPY shares the CPU with
// nothing), the COPY of the rows that window stored. Each round's two sides are measured back to
// back, so a drift in the machine's speed moves both alike, and each side starts from a fresh
// checkpoint, so full-page writes cost both alike; the median round's ratio is the figure.
// Also measures ingest → JetStream publish latency under that load (HTTP request sent → JetStream
// storing the message that carries each event, from the stream's own timestamps, read after the
// rounds so the client does nothing in the windows but send), CPU per process (PostgreSQL backends
// attributed to the app they serve) and CPU per 1000 events on both paths, which the machine's
// other load skews far less than events/s. The windows measure the ingest path alone, warmed up: a
// warm-up window at full load (BENCH_WARMUP_S, default 5) runs with every app live (so consumers
// and streams exist and the code is compiled as a running server's is) and everything it set off
// downstream is worked off; then every app not on the ingest path (all but events and workspace,
// which resolves keys) is paused with SIGSTOP until the last round ends. After resuming them, the
// time the consumers take to work off the rounds' events is reported separately, as downstream
// (profiles) throughput, not as ingest. Identities are those of SDK traffic: 5,000 users with one
// or two devices each, one stable anonymousId per device, a userId on ~70% of events
// (deterministic in the event's number, so runs send the same identities).
// Knobs: BENCH_ROUNDS, BENCH_DURATION_S (per round, default 10), BENCH_WARMUP_S, BENCH_CLIENTS,
// BENCH_COPY_STREAMS (comma-separated), BENCH_BATCH, BENCH_PREBUILT_BATCHES, BENCH_CATCH_UP_S
// (longest wait for the downstream catch-up, default 120), BENCH_CPU_PROF=<dir> (V8 profiles of
// the running apps and of this client over the rounds; the events app's and the client's hottest
// functions printed).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import http from 'node:http';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable, Writable } from 'node:stream';
import { DeliverPolicy } from '@nats-io/jetstream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { connectMessaging, deleteStreamsWithPrefix, streamPrefix } from '@boomerang/platform/messaging';
import { eventually } from '@boomerang/platform/testing';
import { bearer, startTestPlatform } from '../dev/test-platform.js';
import { freePort } from '../dev/platform.mjs';
import { cpuByGroup, cpuSecondsIfAlive, processGroups } from './support.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
/** Ingest windows, each followed by the COPY baseline of its rows; the ratio printed is their median. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Full-load warm-up before the rounds (JIT, caches, pools), not measured. */
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5);
/**
 * Concurrent SDK connections: enough to load the ingest path to capacity, as an endpoint serving
 * many SDKs is (on 2 cores, 32 left whole write groups unfilled: ~8 % fewer events/s; 96 and 128
 * add latency, not throughput).
 */
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
/** The baseline is the fastest of these concurrent COPY stream counts, each tried every round (on 2 cores, 2 streams usually wins). */
const COPY_STREAM_COUNTS = (process.env.BENCH_COPY_STREAMS ?? '2,8').split(',').map(Number);
const PER_BATCH = Number(process.env.BENCH_BATCH ?? 100);
/** Batches built before the run (more are built during it only if these run out). */
const PREBUILT_BATCHES = Number(process.env.BENCH_PREBUILT_BATCHES ?? 8000);
/** Longest wait for the downstream consumers to work off the window's events once resumed. */
const CATCH_UP_LIMIT_S = Number(process.env.BENCH_CATCH_UP_S ?? 120);
/** The apps that stay running in the measured window: events takes /v1/batch, workspace resolves its keys (over NATS, cached). */
const INGEST_PATH_APPS = new Set(['events', 'workspace']);
const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
const NATS_URL = process.env.TEST_NATS_URL ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

const USERS = 5000;

/** A well-spread 32-bit number for n (murmur3's finaliser): pseudo-random, yet the same in every run. */
function spread(n: number): number {
  let h = n >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Event n's sender: one of USERS users (odd ones have a second device), identified on ~70% of events. */
function identityOf(n: number): { userId?: string; anonymousId: string } {
  const r = spread(n);
  const user = r % USERS;
  const device = Math.floor(r / USERS) % (1 + (user % 2));
  const anonymousId = `00000000-0000-4000-8000-${(user * 2 + device).toString(16).padStart(12, '0')}`;
  return (r >>> 24) % 10 < 7 ? { userId: `user-${user}`, anonymousId } : { anonymousId };
}

/** A track call the size of a typical e-commerce event (≈ 0.7 KB as JSON). */
function trackEvent(n: number) {
  return {
    type: 'track',
    event: 'Product Viewed',
    // analytics-node's own messageId format (random, as an SDK's are: the dedupe index sees real key spread).
    messageId: `node-next-${Date.now()}-${randomUUID()}`,
    ...identityOf(n),
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

/** A sampling gap longer than this is a pause (SIGSTOP), not a sample (the sampler ticks about every millisecond). */
const PAUSE_GAP_MICROS = 50_000;

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
    // The gap over a SIGSTOP (each round's COPY) lands on one sample: not time the app spent.
    if (micros > PAUSE_GAP_MICROS) return;
    self.set(key, (self.get(key) ?? 0) + micros);
    if (!['(idle)', '(program)'].includes(frame.functionName)) total += micros;
  });
  return [...self.entries()]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
}

/** The bench's own V8 CPU profile over the measured window: `stop()` returns it. */
async function startClientProfile(): Promise<{ stop(): Promise<unknown> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

/** A /v1/batch body before its events array, and what follows it up to sentAt's value. */
const BATCH_HEAD = Buffer.from('{"batch":');
const SENT_AT_KEY = Buffer.from(',"sentAt":"');
const BATCH_TAIL = Buffer.from('"}');

/** What precedes every event's id in an EventsIngested body (JSON.stringify puts no space after the colon). */
const MESSAGE_ID_KEY = Buffer.from('"messageId":"');
const QUOTE = '"'.charCodeAt(0);

/**
 * Ingest → JetStream latency of every accepted event: the time JetStream stored the message
 * carrying it (the stream's own timestamp) minus its batch's send time. Reads the project's
 * messages from `firstSequence` on, after the rounds.
 */
async function publishLatencies(
  messaging: Awaited<ReturnType<typeof connectMessaging>>,
  stream: string,
  subject: string,
  firstSequence: number,
  accepted: readonly { batch: { ids: string[] }; sentAt: number }[],
): Promise<{ latencies: number[]; messagesTimed: number }> {
  const sentAt = new Map<string, number>();
  for (const { batch, sentAt: at } of accepted) for (const id of batch.ids) sentAt.set(id, at);
  const lastSequence = (await messaging.jsm.streams.info(stream)).state.last_seq;
  const latencies: number[] = [];
  let messagesTimed = 0;
  if (lastSequence < firstSequence) return { latencies, messagesTimed };
  const consumer = await messaging.js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: firstSequence });
  const messages = await consumer.consume();
  for await (const message of messages) {
    const stored = message.info.timestampNanos / 1e6;
    let timed = 0;
    // The ids straight from the bytes, without decoding or parsing the body (the bench's ids are ASCII and need no unescaping).
    const data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
    for (let at = data.indexOf(MESSAGE_ID_KEY); at >= 0; at = data.indexOf(MESSAGE_ID_KEY, at)) {
      at += MESSAGE_ID_KEY.length;
      const started = sentAt.get(data.toString('latin1', at, data.indexOf(QUOTE, at)));
      if (started === undefined) continue;
      latencies.push(stored - started);
      timed++;
    }
    if (timed > 0) messagesTimed++;
    // The stream's last message may be on another subject: the consumer's own count ends the read.
    if (message.seq >= lastSequence || message.info.pending === 0) break;
  }
  await messages.close();
  return { latencies, messagesTimed };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Apps paused (SIGSTOP) for the measured window, pid → name. A stopped app cannot take SIGTERM, so every way out resumes them. */
const paused = new Map<number, string>();
function resumePaused(): void {
  process.off('SIGINT', resumeAndInterrupt);
  for (const pid of paused.keys()) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  paused.clear();
}
/** Ctrl-C while apps are paused: resume them (they got the terminal's SIGINT too), then end as an unhandled SIGINT does. */
function resumeAndInterrupt(): void {
  resumePaused();
  process.kill(process.pid, 'SIGINT');
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
}).catch(async (error: unknown) => {
  // An app that does not start must not leave the bench database behind.
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  throw error;
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
  // node:http on kept-alive sockets (one per client): undici's fetch costs the client several times
  // the CPU per request, and the client shares the machine with what it measures.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  /** POSTs a /v1/batch body (written in parts, not joined); resolves whether it was accepted (2xx) once the response is read. */
  const send = (body: Buffer[]) =>
    new Promise<boolean>((resolve, reject) => {
      const length = body.reduce((sum, part) => sum + part.length, 0);
      const request = http.request(
        { host: '127.0.0.1', port: ingestPort, path: '/v1/batch', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': length, authorization } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode! >= 200 && response.statusCode! < 300));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.cork();
      for (const part of body) request.write(part);
      request.end();
    });

  // Ingest → publish latency: each accepted batch's send time (epoch ms), against the time
  // JetStream stored the message carrying each of its events, read from the stream after the rounds.
  interface Batch {
    json: Buffer;
    ids: string[];
  }
  const accepted: { batch: Batch; sentAt: number }[] = [];
  /** Rows of `event_announcement` are deleted once their message is acknowledged by JetStream: none left, everything accepted is published. */
  const unpublished = async () => (await db.query(`SELECT count(*)::int AS n FROM events.event_announcement`)).rows[0].n as number;

  // Every consumer of this platform's streams with what it has still to do (pending +
  // unacknowledged messages), and how many messages the streams hold. Ingested events set off
  // more work than the events stream's: profiles links identities and publishes the links, which
  // the events app then applies to stored events; all of it is waited for.
  const stream = messaging.subjects.streamName('events');
  const prefixOfStreams = streamPrefix(messaging.subjects);
  /** One pass over the platform's streams: each consumer with its backlog, and the messages the streams hold. */
  const streamsState = async () => {
    const consumers: { name: string; behind: number }[] = [];
    let stored = 0;
    for await (const info of messaging.jsm.streams.list()) {
      if (!info.config.name.startsWith(prefixOfStreams)) continue;
      stored += info.state.last_seq;
      for (const consumer of await messaging.jsm.consumers.list(info.config.name).next()) {
        consumers.push({ name: consumer.name, behind: consumer.num_pending + consumer.num_ack_pending });
      }
    }
    const behind = consumers.filter((consumer) => consumer.behind > 0).map(({ name, behind: count }) => `${name} ${count}`);
    return { consumers, behind, stored };
  };
  /**
   * Waits until every accepted event is on NATS and every consumer has worked off everything,
   * with nothing new published for a second (an outbox relay may still be about to publish
   * what a consumer's transaction recorded); false on reaching the limit. `lastActive`: when work
   * was last seen, so the quiet second is not counted as work.
   */
  const settle = async (since: number, limitS: number): Promise<{ settled: boolean; lastActive: number; unpublished: number; behind: string[] }> => {
    let stored = -1;
    let quietSince = performance.now();
    for (;;) {
      const left = await unpublished();
      const state = await streamsState();
      if (state.stored !== stored || left > 0 || state.behind.length > 0) quietSince = performance.now();
      stored = state.stored;
      const settled = left === 0 && state.behind.length === 0;
      if ((settled && performance.now() - quietSince >= 1000) || performance.now() - since >= limitS * 1000) {
        return { settled, lastActive: quietSince, unpublished: left, behind: state.behind };
      }
      await sleep(200);
    }
  };

  // Request bodies are built before the clock starts (as the COPY's rows are): during the run
  // the client only sends. A pre-built batch is its events' JSON array and their message ids.
  let counter = 0;
  const build = (): Batch => {
    const events = Array.from({ length: PER_BATCH }, () => trackEvent(counter++));
    return { json: Buffer.from(JSON.stringify(events)), ids: events.map((event) => event.messageId) };
  };
  let errors = 0;
  const post = async (batch: Batch) => {
    const sentAt = performance.timeOrigin + performance.now();
    const ok = await send([BATCH_HEAD, batch.json, SENT_AT_KEY, Buffer.from(new Date(sentAt).toISOString()), BATCH_TAIL]);
    if (ok) accepted.push({ batch, sentAt });
    else errors++;
    return ok;
  };
  /** Every client posting batches (`next`) until the deadline; the events acknowledged and the seconds taken. */
  const load = async (seconds: number, next: () => Batch) => {
    let acknowledged = 0;
    const began = performance.now();
    const deadline = began + seconds * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < deadline) {
          if (await post(next())) acknowledged += PER_BATCH;
        }
      }),
    );
    return { acknowledged, seconds: (performance.now() - began) / 1000 };
  };
  // Warm up at full load with every app live (key cache, pools, JIT, the consumers and their streams).
  const warmedUp = await load(WARMUP_S, build);
  const prepared = Array.from({ length: PREBUILT_BATCHES }, build);
  const eventBytes = prepared.reduce((sum, batch) => sum + batch.json.length - 2, 0) / (PREBUILT_BATCHES * PER_BATCH);
  // The warm-up's downstream work is done before the window, so the catch-up after it is the window's alone.
  const warmUp = await settle(performance.now(), 60);
  if (!warmUp.settled) console.warn(`warm-up not worked off after 60 s (${warmUp.unpublished} announcements unpublished; behind: ${warmUp.behind.join(', ')}); measuring anyway`);
  accepted.length = 0;
  const subject = `${prefix}events.${project.id}.ingested`;
  const firstSequence = (await messaging.jsm.streams.info(stream)).state.last_seq + 1;

  // Rounds: each an ingest window, then (every app paused, so nothing competes) the COPY baseline
  // of the very rows that window stored, into a fresh copy of events.event. Measured back to back,
  // so a change in the machine's speed between runs moves both sides of a round's ratio alike; the
  // median of the rounds is the figure.
  const groups = await processGroups(db, database, Number(new URL(SERVER_URL).port || 5432));
  const apps = [...groups].filter(([, group]) => group.endsWith('(node)')).map(([pid, group]) => ({ pid, app: group.replace(' (node)', '') }));
  const running = apps.filter(({ app }) => INGEST_PATH_APPS.has(app));
  const partitions = (
    await db.query(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'events.event'::regclass`,
    )
  ).rows as { name: string; bound: string }[];
  const indexCount = async (table: string) =>
    ((await db.query(`SELECT count(*)::int AS n FROM pg_index WHERE indrelid = $1::regclass`, [table])).rows[0].n as number);
  const copyConnections = await Promise.all(
    Array.from({ length: Math.max(...COPY_STREAM_COUNTS) }, async () => {
      const connection = new pg.Client({ connectionString: databaseUrl });
      await connection.connect();
      const { pid } = (await connection.query(`SELECT pg_backend_pid() AS pid`)).rows[0] as { pid: number };
      return { connection, pid };
    }),
  );
  const copyCpu = () => cpuSecondsIfAlive(process.pid)! + copyConnections.reduce((sum, { pid }) => sum + (cpuSecondsIfAlive(pid) ?? 0), 0);

  /** One ingest window: every client posting prepared batches until the deadline. */
  const ingestWindow = () => load(DURATION_S, () => prepared.pop() ?? build());
  /** The rows stored after `since` as COPY text lines. */
  const storedSince = async (since: string) => {
    const exported: Buffer[] = [];
    await pipeline(
      db.query(copyTo(`COPY (SELECT * FROM events.event WHERE project_id = '${project.id}' AND received_at > '${since}') TO STDOUT`)),
      new Writable({ write: (chunk: Buffer, _encoding, done) => void (exported.push(chunk), done()) }),
    );
    return Buffer.concat(exported).toString('utf8').split('\n').filter(Boolean);
  };
  /** `lines` COPY'd by `streams` concurrent streams into a fresh copy of events.event (same partitions and indexes), dropped after. */
  const copyInto = async (lines: readonly string[], streams: number) => {
    const table = 'event_copy';
    await db.query(`CREATE TABLE events.${table} (LIKE events.event INCLUDING ALL) PARTITION BY RANGE ("timestamp")`);
    for (const { name, bound } of partitions) await db.query(`CREATE TABLE events."${name}_copy" PARTITION OF events.${table} ${bound}`);
    await quiesce();
    await checkpoint();
    const cpuBefore = copyCpu();
    const started = performance.now();
    await Promise.all(
      copyConnections.slice(0, streams).map(async ({ connection }, stream) => {
        const mine = lines.filter((_line, i) => i % streams === stream);
        await pipeline(Readable.from(mine.map((line) => `${line}\n`)), connection.query(copyFrom(`COPY events.${table} FROM STDIN`)));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = copyCpu() - cpuBefore;
    const indexes = await indexCount(`events.${table}`);
    await db.query(`DROP TABLE events.${table}`);
    return { streams, rows: lines.length, bytes: lines.reduce((sum, line) => sum + line.length + 1, 0), seconds, cpuUsed, indexes };
  };
  /** The baseline of one round: the rows that window stored, COPY'd with each stream count; the fastest is the baseline. */
  const copyBaseline = async (since: string) => {
    const lines = await storedSince(since);
    const tries = [];
    for (const streams of COPY_STREAM_COUNTS) tries.push(await copyInto(lines, streams));
    return tries.reduce((best, next) => (next.seconds < best.seconds ? next : best));
  };
  /** Waits (30 s at most) until no autovacuum worker runs in the bench database, so neither side of a round shares the CPU with one. */
  const quiesce = () =>
    eventually(
      async () =>
        ((await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'autovacuum worker'`, [database])).rows[0]
          .n as number) === 0,
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch(() => undefined);
  /**
   * Starts a side from a fresh checkpoint: after one, the first write to each page logs the whole
   * page, so where a checkpoint falls in a window moves its cost by up to a fifth. Both sides
   * starting from one pay that alike.
   */
  const checkpoint = () => db.query('CHECKPOINT');
  /** SIGSTOP / SIGCONT for the apps on the ingest path (the others stay paused through every round). */
  const pauseIngestPath = () => running.forEach(({ pid, app }) => (paused.set(pid, app), process.kill(pid, 'SIGSTOP')));
  const resumeIngestPath = () => running.forEach(({ pid }) => (paused.delete(pid), process.kill(pid, 'SIGCONT')));

  interface Round {
    ingested: number;
    ingestSeconds: number;
    ingestCpuPerK: number;
    copied: number;
    copySeconds: number;
    copyCpuPerK: number;
    copyStreams: number;
  }
  const rounds: Round[] = [];
  const cpu = new Map<string, number>();
  let copyBytes = 0;
  let copyIndexes = 0;
  if (profileDir) for (const { pid } of running) process.kill(pid, 'SIGWINCH');
  const clientProfiler = profileDir ? await startClientProfile() : undefined;
  process.on('SIGINT', resumeAndInterrupt);
  for (const { pid, app } of apps) {
    if (INGEST_PATH_APPS.has(app)) continue;
    paused.set(pid, app);
    process.kill(pid, 'SIGSTOP');
  }
  const pausedApps = [...paused.values()].sort();
  console.log(
    `measuring the ingest path in ${ROUNDS} round(s) of ${DURATION_S} s: paused (SIGSTOP) ${pausedApps.join(', ')}; running ${running.map(({ app }) => app).sort().join(', ')}`,
  );
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const since = (await db.query(`SELECT coalesce(max(received_at), '-infinity')::text AS at FROM events.event WHERE project_id = $1`, [project.id])).rows[0]
        .at as string;
      await quiesce();
      await checkpoint();
      const cpuBefore = new Map([...groups.keys()].map((pid) => [pid, cpuSecondsIfAlive(pid) ?? 0]));
      const window = await ingestWindow();
      // Backends opened during the window count from zero.
      for (const [pid, group] of await processGroups(db, database, Number(new URL(SERVER_URL).port || 5432))) if (!groups.has(pid)) groups.set(pid, group);
      const used = cpuByGroup(groups, cpuBefore);
      for (const [group, seconds] of used) cpu.set(group, (cpu.get(group) ?? 0) + seconds);
      const ingestPath = [...used].filter(([group]) => /^(bench client|events \(node\)|postgres serving events|nats-server)$/.test(group));
      // The window's events reach NATS before the apps stop (else their latency would include the COPY).
      await eventually(async () => (await unpublished()) === 0, { timeoutMs: 10_000 }).catch(() => undefined);
      pauseIngestPath();
      const baseline = await copyBaseline(since).finally(resumeIngestPath);
      copyBytes += baseline.bytes;
      copyIndexes = baseline.indexes;
      rounds.push({
        ingested: window.acknowledged,
        ingestSeconds: window.seconds,
        ingestCpuPerK: (1000 * ingestPath.reduce((sum, [, seconds]) => sum + seconds, 0)) / Math.max(1, window.acknowledged),
        copied: baseline.rows,
        copySeconds: baseline.seconds,
        copyCpuPerK: (1000 * baseline.cpuUsed) / Math.max(1, baseline.rows),
        copyStreams: baseline.streams,
      });
    }
    if (profileDir) for (const { pid } of running) process.kill(pid, 'SIGWINCH');
    if (clientProfiler) writeFileSync(join(profileDir!, `bench-client-${process.pid}.cpuprofile`), JSON.stringify(await clientProfiler.stop()));
  } finally {
    resumePaused();
  }
  await Promise.all(copyConnections.map(({ connection }) => connection.end()));

  // Downstream catch-up: from resuming the paused apps until every event of the rounds is on NATS
  // and every consumer of the events stream has acknowledged everything.
  const ingested = rounds.reduce((sum, round) => sum + round.ingested, 0);
  const resumedAt = performance.now();
  const backlogAtResume = (await streamsState()).behind;
  const catchUp = await settle(resumedAt, CATCH_UP_LIMIT_S);
  const catchUpSeconds = (catchUp.lastActive - resumedAt) / 1000;
  const consumerNames = (await streamsState()).consumers.map(({ name }) => name).sort();
  agent.destroy();
  const { latencies, messagesTimed } = await publishLatencies(messaging, stream, subject, firstSequence, accepted);
  const sorted = latencies.sort((a, b) => a - b);

  // Row work in the events schema (statistics reach pg_stat within a second or so).
  await sleep(1500);
  const rowWork = (
    await db.query(
      `SELECT CASE WHEN relname LIKE 'event\\_y%' OR relname = 'event_default' THEN 'event (partitions)' ELSE relname END AS tbl,
              sum(n_tup_ins)::int AS ins, sum(n_tup_upd)::int AS upd, sum(n_tup_hot_upd)::int AS hot, sum(n_tup_del)::int AS del
       FROM pg_stat_user_tables WHERE schemaname = 'events' AND relname NOT LIKE '%\\_copy\\_%' GROUP BY 1 HAVING sum(n_tup_ins + n_tup_upd + n_tup_del) > 0 ORDER BY 1`,
    )
  ).rows as { tbl: string; ins: number; upd: number; hot: number; del: number }[];

  const stored = (await db.query(`SELECT count(*)::int AS n FROM events.event WHERE project_id = $1`, [project.id])).rows[0].n as number;
  const copied = rounds.reduce((sum, round) => sum + round.copied, 0);
  const ingestSeconds = rounds.reduce((sum, round) => sum + round.ingestSeconds, 0);
  const median = (values: number[]) => {
    const ordered = [...values].sort((a, b) => a - b);
    return ordered.length % 2 ? ordered[(ordered.length - 1) / 2]! : (ordered[ordered.length / 2 - 1]! + ordered[ordered.length / 2]!) / 2;
  };
  const rates = rounds.map((round) => ({
    ingest: round.ingested / round.ingestSeconds,
    copy: round.copied / round.copySeconds,
    cpu: round.copyCpuPerK / round.ingestCpuPerK,
  }));
  const ratios = rates.map((rate) => rate.ingest / rate.copy);
  console.log(`\nIngestion: ${CLIENTS} clients, ${PER_BATCH} track events per /v1/batch, ${ROUNDS} × ${DURATION_S} s; average event ${eventBytes.toFixed(0)} bytes of JSON`);
  console.log(`round   /v1/batch ingest   raw COPY (fastest of ${COPY_STREAM_COUNTS.join(', ')} streams)   ratio   CPU per 1000 events: ingest path / COPY → ratio`);
  rounds.forEach((round, i) => {
    console.log(
      `${String(i + 1).padStart(5)}   ${rates[i]!.ingest.toFixed(0).padStart(8)} events/s   ${rates[i]!.copy.toFixed(0).padStart(10)} rows/s (${round.copyStreams} streams)     ${ratios[i]!.toFixed(2)}x   ${round.ingestCpuPerK.toFixed(3)} / ${round.copyCpuPerK.toFixed(3)} core-s → ${rates[i]!.cpu.toFixed(2)}x`,
    );
  });
  console.log(
    `/v1/batch ingest      ${(ingested / ingestSeconds).toFixed(0).padStart(8)} events/s over the rounds  (${ingested} acknowledged + ${warmedUp.acknowledged} in the ${WARMUP_S} s warm-up, ${stored} stored, ${errors} failed batches)`,
  );
  console.log(
    `raw COPY (fastest)    ${(copied / rounds.reduce((sum, round) => sum + round.copySeconds, 0)).toFixed(0).padStart(8)} rows/s over the rounds  (each round's stored rows, ${(copyBytes / Math.max(1, copied)).toFixed(0)} bytes each as COPY text, into a fresh copy of events.event: ${copyIndexes} vs ${await indexCount('events.event')} indexes, ${partitions.length} partitions)`,
  );
  console.log(`ratio ingest/COPY     ${median(ratios).toFixed(2)}x median of ${ROUNDS} round(s) (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`);
  // CPU per event is what the machine's load skews least: the ingest path (client, HTTP, validation,
  // transaction, NATS) against the COPY path (client + its backends).
  console.log(`CPU ratio             ${median(rates.map((rate) => rate.cpu)).toFixed(2)}x median (COPY's core-s per event / the ingest path's: bench client, events app, its PostgreSQL backends, nats-server)`);
  console.log(`paused in the windows ${pausedApps.join(', ')} (SIGSTOP, not on the ingest path; events and workspace too during each COPY)`);
  console.log(
    `ingest → JetStream    p50 ${percentile(sorted, 50).toFixed(0)} ms   p95 ${percentile(sorted, 95).toFixed(0)} ms   p99 ${percentile(sorted, 99).toFixed(0)} ms` +
      `  (${sorted.length} events timed, carried by ${messagesTimed} JetStream messages: ${(sorted.length / Math.max(1, messagesTimed)).toFixed(1)} events per message)`,
  );
  // Not the ingest figure: what the resumed consumers (mainly profiles) then did with the rounds' events.
  const downstream = catchUp.settled
    ? `${(ingested / catchUpSeconds).toFixed(0).padStart(8)} events/s  (the rounds' ${ingested} events worked off ${catchUpSeconds.toFixed(1)} s after resuming)`
    : `not caught up within ${CATCH_UP_LIMIT_S} s (BENCH_CATCH_UP_S): ${catchUp.unpublished} announcements unpublished, behind: ${catchUp.behind.join(', ') || 'none'}`;
  console.log(`downstream (profiles) ${downstream}`);
  console.log(`  consumers of the platform's streams: ${consumerNames.join(', ')}; messages behind at resume: ${backlogAtResume.join(', ') || 'none'}`);
  console.log(`rows written in the events schema (whole run: warm-up, rounds and downstream catch-up):`);
  for (const row of rowWork) {
    console.log(`  ${row.tbl.padEnd(38)} ${String(row.ins).padStart(7)} inserted ${String(row.upd).padStart(7)} updated (${row.hot} HOT) ${String(row.del).padStart(7)} deleted`);
  }
  console.log(`CPU during ingest (${ingestSeconds.toFixed(1)} s × 2 cores = ${(ingestSeconds * 2).toFixed(0)} core-s; load average before: ${loadBefore}):`);
  for (const [group, seconds] of [...cpu.entries()].sort((a, b) => b[1] - a[1])) {
    if (seconds >= 0.05) console.log(`  ${group.padEnd(38)} ${seconds.toFixed(1).padStart(6)} s  ${((100 * seconds) / (ingestSeconds * 2)).toFixed(0).padStart(3)}%`);
  }
} finally {
  resumePaused();
  await db.end();
  await platform.stop();
  for (const file of profileDir ? readdirSync(profileDir).filter((name) => /^(events|bench-client)-\d+\.cpuprofile$/.test(name)) : []) {
    console.log(`${file.startsWith('events') ? 'events app' : 'bench client'}, self time by function during ingest (busy samples; ${join(profileDir!, file)}):`);
    for (const line of hottest(join(profileDir!, file), 25)) console.log(`  ${line}`);
  }
  await deleteStreamsWithPrefix(messaging.jsm, messaging.subjects).catch(() => undefined);
  await messaging.nc.drain();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
