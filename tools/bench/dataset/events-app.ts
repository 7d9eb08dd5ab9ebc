// The events app from dist/ on the data set's own `events` schema, for benchmarks that need events
// running over the data set (segments' backfills, analytics' rollups).
import { freePort } from '../../dev/platform.mjs';
import { startDistSubgraph, type DistSubgraph } from '../dist-subgraph.js';

export type DatasetEventsApp = Pick<DistSubgraph, 'process' | 'port' | 'prefix' | 'stop'>;

/** Starts events on `databaseUrl`'s `events` schema (NATS prefix `prefix`, else a new one) and waits until it is ready. */
export async function startDatasetEvents(databaseUrl: string, { prefix, port }: { prefix?: string; port?: number } = {}): Promise<DatasetEventsApp> {
  return startDistSubgraph('events', {
    databaseUrl,
    schema: 'events',
    ...(prefix ? { prefix } : {}),
    ...(port ? { port } : {}),
    env: { INGEST_PORT: String(await freePort()), LOG_LEVEL: process.env.BENCH_EVENTS_LOG_LEVEL ?? 'warn' },
  });
}
