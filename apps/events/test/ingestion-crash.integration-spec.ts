import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDatabase } from '@boomerang/platform/persistence';
import { createTestMessaging, eventually, serveTestIngestPolicies, serveTestKeys, TEST_DATABASE_URL, TEST_NATS_URL, type TestMessaging } from '@boomerang/platform/testing';
import { freePort } from '../../../tools/dev/test-platform.js';
import { readPublishedEvents } from './support.js';

const root = join(import.meta.dirname, '../../..');
const BATCHES = 80;
const PER_BATCH = 50;
const CONCURRENCY = 8;

/**
 * Kills the events process (SIGKILL) while batches are in flight, restarts it and retries the
 * batches whose answers were lost: every acknowledged event is stored and published exactly once.
 */
describe('events ingestion survives a crash', () => {
  const schema = `events_t${randomBytes(5).toString('hex')}`;
  const projectId = randomUUID();
  const writeKey = `pk_${randomUUID()}`;
  let messaging: TestMessaging;
  let db: pg.Client;
  let child: ChildProcess | undefined;
  let ports: { graphql: number; ingest: number };

  const start = async (): Promise<void> => {
    child = spawn(process.execPath, [join(root, 'dist/apps/events/src/main.js')], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema,
        NATS_URL: TEST_NATS_URL,
        NATS_SUBJECT_PREFIX: messaging.prefix,
        INTERNAL_SIGNING_SECRET: randomBytes(32).toString('hex'),
        EVENTS_PORT: String(ports.graphql),
        INGEST_PORT: String(ports.ingest),
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    await eventually(async () => (await fetch(`http://127.0.0.1:${ports.graphql}/health/ready`)).ok, { timeoutMs: 30_000, intervalMs: 100 });
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/build/build.mjs')], { cwd: root, stdio: 'ignore' });
    await ensureDatabase(TEST_DATABASE_URL);
    messaging = await createTestMessaging();
    serveTestKeys(messaging).set(writeKey, { ok: true, projectId, keyId: randomUUID(), scope: 'publishable' });
    serveTestIngestPolicies(messaging);
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    ports = { graphql: await freePort(), ingest: await freePort() };
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db?.end();
    await messaging?.cleanup();
  });

  const batch = (n: number) => ({
    batch: Array.from({ length: PER_BATCH }, (_, i) => ({
      type: 'track',
      event: 'Item Viewed',
      userId: `user-${n}-${i}`,
      messageId: `crash-${n}-${i}`,
      properties: { sku: `SKU-${n}-${i}`, price: n + i / 100 },
    })),
    sentAt: new Date().toISOString(),
  });

  const send = async (n: number): Promise<boolean> => {
    try {
      const response = await fetch(`http://127.0.0.1:${ports.ingest}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        body: JSON.stringify(batch(n)),
      });
      return response.ok;
    } catch {
      return false; // connection refused or reset: the answer is lost, the client retries
    }
  };

  it('stores and publishes every acknowledged event exactly once', async () => {
    await start();
    const acknowledged = new Set<number>();
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (next < BATCHES) {
        const n = next++;
        if (await send(n)) acknowledged.add(n);
        if (!killed && acknowledged.size >= BATCHES / 3) {
          killed = true;
          child!.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(killed).toBe(true);
    const acknowledgedBeforeCrash = new Set(acknowledged);
    expect(acknowledgedBeforeCrash.size).toBeGreaterThan(0);
    expect(acknowledgedBeforeCrash.size).toBeLessThan(BATCHES);

    await new Promise((resolve) => (child!.exitCode !== null || child!.signalCode ? resolve(null) : child!.once('exit', resolve)));
    await start();
    for (let n = 0; n < BATCHES; n++) {
      if (!acknowledged.has(n)) {
        expect(await send(n)).toBe(true);
        acknowledged.add(n);
      }
    }
    // A few already-acknowledged batches retried anyway, as an SDK would after a timeout.
    for (const n of [...acknowledgedBeforeCrash].slice(0, 5)) expect(await send(n)).toBe(true);

    const total = BATCHES * PER_BATCH;
    const rows = (
      await db.query(`SELECT message_id, count(*)::int AS n FROM "${schema}".event WHERE project_id = $1 GROUP BY message_id`, [projectId])
    ).rows as { message_id: string; n: number }[];
    expect(rows).toHaveLength(total);
    expect(rows.filter((row) => row.n !== 1)).toEqual([]);
    for (const n of acknowledgedBeforeCrash) expect(rows.some((row) => row.message_id === `crash-${n}-0`)).toBe(true);

    // The restarted relay publishes what the killed one left; JetStream drops re-sent msg ids.
    const publishedCount = async () => (await readPublishedEvents(messaging, projectId)).length;
    await eventually(async () => (await publishedCount()) >= total, { timeoutMs: 30_000, intervalMs: 500 });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // late duplicates would land now
    const seen = new Map<string, number>();
    for (const event of await readPublishedEvents(messaging, projectId)) seen.set(event.messageId as string, (seen.get(event.messageId as string) ?? 0) + 1);
    expect(seen.size).toBe(total);
    expect([...seen.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    const unannounced = await db.query(`SELECT count(*)::int AS n FROM "${schema}".event_announcement`);
    expect(unannounced.rows[0].n).toBe(0);
  }, 120_000);
});
