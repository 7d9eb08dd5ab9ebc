import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ensureDatabase } from '@boomerang/platform/persistence';
import { createTestMessaging, TEST_DATABASE_URL, TEST_NATS_URL, uniqueSubjectPrefix, type GraphQLResponse } from '@boomerang/platform/testing';
// The same launcher `npm start` uses, so the tests exercise the real start-up path.
import { freePort, startPlatform, subgraphNames, type ServiceExitReport } from './platform.mjs';

/** Tests that start an app themselves take its ports from the same cross-process claims; subgraphNames lists the apps a platform runs besides the gateway. */
export { freePort, subgraphNames } from './platform.mjs';
/** `npm start`'s mail catcher, for tests that read what the platform sent as a developer would. */
export { startMailCatcher, type CaughtMessage, type MailCatcher } from './mail-catcher.mjs';

/** The server the platforms' databases are created on: TEST_DATABASE_SERVER_URL, else TEST_DATABASE_URL's. */
const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? TEST_DATABASE_URL.replace(/\/[^/]*$/, '');

export type GraphQLResult<T = unknown> = GraphQLResponse<T>;

export interface RunningPlatform {
  readonly gatewayUrl: string;
  readonly adminToken: string;
  /** The platform's own database (every service's schema), dropped by `stop`: read it before (benchmarks' per-hop times). */
  readonly databaseUrl: string;
  readonly logLines: string[];
  /** What the launcher reported of each app that exited on its own (as `npm start` prints it). */
  readonly exitReports: ServiceExitReport[];
  /** Every NATS subject of this platform starts with it (subscribe to `${subjectPrefix}>` to see them all). */
  readonly subjectPrefix: string;
  /** voice's public listener: the signalling WebSocket (`/calls/signal`) and the call web client (`/calls/client/`). */
  readonly voicePublicUrl: string;
  /** The events ingestion API (Segment `/v1/*`, CleverTap `/1/upload`). */
  readonly ingestUrl: string;
  /** email's inbound SMTP listener (DSNs to the VERP return path, mailto unsubscribes) on 127.0.0.1. */
  readonly emailBouncePort: number;
  subgraphUrl(name: string): string;
  /** `T` is the shape of `data` the caller selected; the gateway's JSON is not checked against it. */
  graphql<T = unknown>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResult<T>>;
  /** Stops one app (`gateway` or a subgraph) on purpose: SIGTERM drains it, SIGKILL is a crash. Nothing restarts it. */
  stopService(name: string, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: string | null }>;
  /** Starts a stopped app again, with its ports and settings; resolves once it is ready. */
  startService(name: string): Promise<void>;
  /** Freezes an app (SIGSTOP), as a hung process: its connections stay open and nothing answers. */
  pauseService(name: string): void;
  resumeService(name: string): void;
  /** Kills an app with SIGKILL as a crash would: the launcher reports it and, with `restart`, starts it again. */
  crashService(name: string): void;
  stop(): Promise<void>;
}

/**
 * Starts every app from dist/ against a database and NATS prefix of its own, on free ports. With
 * `restart`, an app that exits on its own is started again as `npm start` does (quickly here).
 */
export async function startTestPlatform(
  extraEnv: Record<string, string> = {},
  { restart = false, readyTimeoutMs }: { restart?: boolean; /** per app (default 180 s: e2e suites start whole platforms side by side on 2 cores) */ readyTimeoutMs?: number } = {},
): Promise<RunningPlatform> {
  const database = `boomerang_e2e_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(`${SERVER_URL}/${database}`);
  const prefix = uniqueSubjectPrefix();
  const ports: Record<string, number> = { gateway: await freePort() };
  for (const name of subgraphNames()) ports[name] = await freePort();
  const adminToken = `admin_${randomBytes(24).toString('hex')}`;
  const voicePublicPort = await freePort();
  const ingestPort = await freePort();
  const emailBouncePort = await freePort();
  const logLines: string[] = [];
  const exitReports: ServiceExitReport[] = [];
  const platform = await startPlatform({
    env: {
      DATABASE_URL: `${SERVER_URL}/${database}`,
      NATS_URL: TEST_NATS_URL,
      NATS_SUBJECT_PREFIX: prefix,
      INTERNAL_SIGNING_SECRET: randomBytes(32).toString('hex'),
      BOOMERANG_ADMIN_TOKEN: adminToken,
      // The events ingestion API listens on a port of its own.
      INGEST_PORT: String(ingestPort),
      // So does voice's public side (signalling WebSocket, web client).
      VOICE_PUBLIC_PORT: String(voicePublicPort),
      // And email's inbound SMTP listener for bounces.
      EMAIL_BOUNCE_PORT: String(emailBouncePort),
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    ports,
    onLine: (name: string, line: string) => void logLines.push(`${name} ${line}`),
    restart: restart && { initialDelayMs: 200, maxDelayMs: 2000 },
    timeoutMs: readyTimeoutMs ?? 180_000,
    onExit: (report) => void exitReports.push(report),
  });
  const gatewayUrl = platform.gatewayUrl;
  return {
    gatewayUrl,
    adminToken,
    databaseUrl: `${SERVER_URL}/${database}`,
    logLines,
    exitReports,
    subjectPrefix: prefix,
    voicePublicUrl: `http://127.0.0.1:${voicePublicPort}`,
    ingestUrl: `http://127.0.0.1:${ingestPort}`,
    emailBouncePort,
    subgraphUrl: (name) => `http://127.0.0.1:${ports[name]}/graphql`,
    stopService: (name, signal) => platform.stopService(name, signal),
    startService: (name) => platform.startService(name),
    pauseService: (name) => platform.pauseService(name),
    resumeService: (name) => platform.resumeService(name),
    crashService: (name) => void (platform.children.get(name) as { kill(signal: string): boolean }).kill('SIGKILL'),
    async graphql(query, variables = {}, headers = {}) {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as never;
    },
    async stop() {
      await platform.stop();
      await (await createTestMessaging(prefix)).cleanup();
      const cleanup = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
