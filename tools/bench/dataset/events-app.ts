// The events app from dist/ on the data set's own `events` schema, for benchmarks that need events
// running over the data set (segments' backfills, analytics' rollups).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_NATS_URL, TEST_SIGNING_SECRET, uniqueSubjectPrefix } from '@boomerang/platform/testing';
import { freePort } from '../../dev/platform.mjs';

/** dist/tools/bench/dataset → the repository root. */
const root = join(import.meta.dirname, '../../../..');

export interface DatasetEventsApp {
  readonly process: ChildProcess;
  /** Its GraphQL (subgraph) port. */
  readonly port: number;
  readonly prefix: string;
  stop(): void;
}

/** Starts events on `databaseUrl`'s `events` schema (NATS prefix `prefix`, else a new one) and waits until it is ready. */
export async function startDatasetEvents(databaseUrl: string, { prefix = uniqueSubjectPrefix(), port }: { prefix?: string; port?: number } = {}): Promise<DatasetEventsApp> {
  const graphqlPort = port ?? (await freePort());
  const child = spawn(process.execPath, [join(root, 'dist/apps/events/src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: 'events',
      NATS_URL: TEST_NATS_URL,
      NATS_SUBJECT_PREFIX: prefix,
      INTERNAL_SIGNING_SECRET: TEST_SIGNING_SECRET,
      PORT: String(graphqlPort),
      INGEST_PORT: String(await freePort()),
      LOG_LEVEL: process.env.BENCH_EVENTS_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let attempt = 0; attempt < 240; attempt++) {
    const ready = await fetch(`http://127.0.0.1:${graphqlPort}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { process: child, port: graphqlPort, prefix, stop: () => child.kill('SIGTERM') };
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error('events did not start');
}
