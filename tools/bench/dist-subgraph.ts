// A subgraph from dist/ in a child process of its own, as `npm start` and production run each one:
// for benchmarks whose figure would otherwise share one Node main thread between services that
// never share one when deployed (campaigns and email in the fan-out; events over the data set).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { signCallerContext, type CallerContext } from '@boomerang/platform/auth';
import { ensureDatabase } from '@boomerang/platform/persistence';
import { TEST_DATABASE_URL, TEST_NATS_URL, TEST_SIGNING_SECRET, uniqueSchemaName, uniqueSubjectPrefix, type GraphQLResponse } from '@boomerang/platform/testing';
import { freePort } from '../dev/platform.mjs';

/** dist/tools/bench → the repository root. */
const root = join(import.meta.dirname, '../../..');

/** Node flags per app, as the launcher gives them (tools/dev/platform.mjs). */
const NODE_FLAGS: Record<string, string[]> = { events: ['--max-semi-space-size=128'] };
/** `BENCH_CPU_PROF=<dir>`: each app started here writes a V8 CPU profile there (NODE_OPTIONS cannot carry --cpu-prof). */
const profileFlags = (): string[] => [
  ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
  // `BENCH_APP_NODE_FLAGS="--trace-gc --perf-basic-prof"`: flags for each app started here (most V8 flags are refused in NODE_OPTIONS).
  ...(process.env.BENCH_APP_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
];

export interface DistSubgraph {
  readonly process: ChildProcess;
  /** Its GraphQL (subgraph) port. */
  readonly port: number;
  readonly databaseUrl: string;
  readonly schema: string;
  readonly prefix: string;
  /** A GraphQL call as the gateway makes it (the caller context signed over the exact body). */
  query<T = unknown>(query: string, variables?: Record<string, unknown>, caller?: CallerContext): Promise<GraphQLResponse<T>>;
  /** SIGTERM, and the schema dropped when it was a throw-away one. */
  stop(): Promise<void>;
}

/**
 * Starts `service` from dist/ on `databaseUrl` (default the test database) in `schema` (default a
 * new throw-away one, dropped by `stop`), NATS prefix `prefix` (else a new one), and waits until it
 * is ready. `env` adds to or overrides its settings.
 */
export async function startDistSubgraph(
  service: string,
  {
    databaseUrl = TEST_DATABASE_URL,
    schema,
    prefix = uniqueSubjectPrefix(),
    port,
    env = {},
  }: { databaseUrl?: string; schema?: string; prefix?: string; port?: number; env?: Record<string, string> } = {},
): Promise<DistSubgraph> {
  const throwAway = schema === undefined;
  const schemaName = schema ?? uniqueSchemaName(service);
  await ensureDatabase(databaseUrl);
  const graphqlPort = port ?? (await freePort());
  const child = spawn(process.execPath, [...(NODE_FLAGS[service] ?? []), ...profileFlags(), join(root, 'dist/apps', service, 'src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schemaName,
      NATS_URL: TEST_NATS_URL,
      NATS_SUBJECT_PREFIX: prefix,
      INTERNAL_SIGNING_SECRET: TEST_SIGNING_SECRET,
      PORT: String(graphqlPort),
      LOG_LEVEL: process.env.BENCH_APP_LOG_LEVEL ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (!throwAway) return;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`);
    await client.end();
  };
  const url = `http://127.0.0.1:${graphqlPort}`;
  for (let attempt = 0; attempt < 480; attempt++) {
    if (child.exitCode !== null) break;
    const ready = await fetch(`${url}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready)
      return {
        process: child,
        port: graphqlPort,
        databaseUrl,
        schema: schemaName,
        prefix,
        async query(query, variables = {}, caller) {
          const body = JSON.stringify({ query, variables });
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (caller) Object.assign(headers, signCallerContext(caller, body, TEST_SIGNING_SECRET));
          const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
          return (await response.json()) as never;
        },
        stop,
      };
    await sleep(250);
  }
  child.kill('SIGKILL');
  await stop().catch(() => undefined);
  throw new Error(`${service} did not start from dist/ (is it built? node tools/build/build.mjs)`);
}
