// Benchmark: realistic track events through the Segment-compatible ingestion API (/v1/batch,
// 100 events per batch, a few concurrent clients) against a raw PostgreSQL COPY of the same rows
// into the same table of the same database, in one run. Also measures ingest → JetStream
// publish latency under that load (time from sending the HTTP request to the EventIngested
// message arriving on NATS; localhost, so the HTTP hop is a small part of it).
import { randomBytes, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { connectMessaging, deleteStreamsWithPrefix } from '@boomerang/platform/messaging';
import { bearer, startTestPlatform } from '../dev/test-platform.js';
import { freePort } from '../dev/platform.mjs';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const PER_BATCH = Number(process.env.BENCH_BATCH ?? 100);
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

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** COPY text format: backslashes, tabs and newlines escaped; \N is NULL. */
const copyField = (value: string | null) => (value === null ? '\\N' : value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'));

const database = `boomerang_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const databaseUrl = `${SERVER_URL}/${database}`;
const prefix = `bench${randomBytes(4).toString('hex')}.`;
const ingestPort = await freePort();
const platform = await startTestPlatform({ DATABASE_URL: databaseUrl, NATS_SUBJECT_PREFIX: prefix, INGEST_PORT: String(ingestPort), LOG_LEVEL: 'warn' });
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
  const deadlineForMessages = Date.now() + 30_000;
  while (sentAt.size > 0 && latencies.length < ingested && Date.now() < deadlineForMessages) await new Promise((resolve) => setTimeout(resolve, 100));
  subscription.unsubscribe();
  const sorted = [...latencies].sort((a, b) => a - b);

  // Baseline: the same number of rows, same shape, COPY'd straight into the same partitioned table.
  const receivedAt = new Date().toISOString();
  const baselineProject = randomUUID();
  const rowsPerClient = Math.ceil(ingested / CLIENTS);
  const copyLines = (client: number) =>
    Readable.from(
      (function* () {
        for (let i = 0; i < rowsPerClient; i++) {
          const event = trackEvent(client * rowsPerClient + i);
          yield [
            randomUUID(), baselineProject, null, event.messageId, 'track', event.event, event.userId, event.anonymousId,
            JSON.stringify(event.properties), JSON.stringify(event.context), event.timestamp, receivedAt, receivedAt,
          ].map(copyField).join('\t') + '\n';
        }
      })(),
    );
  const copyStarted = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const connection = new pg.Client({ connectionString: databaseUrl });
      await connection.connect();
      try {
        await pipeline(
          copyLines(client),
          connection.query(
            copyFrom(`COPY events.event (id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at) FROM STDIN`),
          ),
        );
      } finally {
        await connection.end();
      }
    }),
  );
  const copySeconds = (performance.now() - copyStarted) / 1000;
  const copied = rowsPerClient * CLIENTS;

  const stored = (await db.query(`SELECT count(*)::int AS n FROM events.event WHERE project_id = $1`, [project.id])).rows[0].n as number;
  const ingestRate = ingested / ingestSeconds;
  const copyRate = copied / copySeconds;
  console.log(`\nIngestion: ${CLIENTS} clients, ${PER_BATCH} track events per /v1/batch, ${DURATION_S} s; average event ${(eventBytes / Math.max(1, counter - 20 * PER_BATCH)).toFixed(0)} bytes of JSON`);
  console.log(`/v1/batch ingest      ${ingestRate.toFixed(0).padStart(8)} events/s  (${ingested} acknowledged + ${20 * PER_BATCH} warm-up, ${stored} stored, ${errors} failed batches)`);
  console.log(`raw COPY (${CLIENTS} streams) ${copyRate.toFixed(0).padStart(8)} events/s  (${copied} rows, pg-copy-streams, same table, same database)`);
  console.log(`ratio ingest/COPY     ${(ingestRate / copyRate).toFixed(2)}x`);
  console.log(`ingest → JetStream    p50 ${percentile(sorted, 50).toFixed(0)} ms   p95 ${percentile(sorted, 95).toFixed(0)} ms   p99 ${percentile(sorted, 99).toFixed(0)} ms  (${sorted.length} messages timed)`);
} finally {
  await db.end();
  await platform.stop();
  await deleteStreamsWithPrefix(messaging.jsm, messaging.subjects).catch(() => undefined);
  await messaging.nc.drain();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
