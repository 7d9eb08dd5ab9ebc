import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { signCallerContext, type CallerContext } from '@boomerang/platform/auth';
import { deleteStreamsWithPrefix, type Messaging } from '@boomerang/platform/messaging';
import { ensureDatabase } from '@boomerang/platform/persistence';
import { setLogDestination } from '@boomerang/platform/observability';
import { MESSAGING, MessagingLifecycle } from '@boomerang/platform/subgraph';
import type { DestinationStream } from 'pino';
import { TEST_DATABASE_URL, uniqueSchemaName } from './isolated-schema.js';
import { uniqueSubjectPrefix, TEST_NATS_URL } from './test-messaging.js';

/** The caller a secret key / a publishable key of the project makes (for `TestSubgraph.query`). */
export const secretKeyCaller = (projectId: string): CallerContext => ({ projectId, keyId: null, scope: 'secret' });
export const publishableKeyCaller = (projectId: string): CallerContext => ({ projectId, keyId: null, scope: 'publishable' });

export const TEST_SIGNING_SECRET = 'test-signing-secret-that-is-long-enough-1234';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface TestSubgraph {
  readonly app: INestApplication;
  readonly url: string;
  readonly schema: string;
  readonly prefix: string;
  readonly messaging: Messaging;
  /** Sends a GraphQL request signed as `caller`, as the gateway would. */
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, caller?: CallerContext): Promise<GraphQLResponse<T>>;
  /** Publishes pending outbox rows now. */
  flushOutbox(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Boots a real subgraph (its own throw-away schema, NATS prefix and a random port) for
 * integration tests. `loadModule` must import the app module lazily, after the environment
 * for the test has been set, because modules read their config when imported.
 */
export async function startTestSubgraph(
  loadModule: () => Promise<unknown>,
  {
    service,
    prefix = uniqueSubjectPrefix(),
    logs,
  }: {
    service: string;
    prefix?: string;
    /** Every log line of the app (at `level`) goes to `destination` instead of stdout. */
    logs?: { destination: DestinationStream; level: string };
  },
): Promise<TestSubgraph> {
  const schema = uniqueSchemaName(service);
  await ensureDatabase(TEST_DATABASE_URL);
  Object.assign(process.env, {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    NATS_URL: TEST_NATS_URL,
    NATS_SUBJECT_PREFIX: prefix,
    INTERNAL_SIGNING_SECRET: TEST_SIGNING_SECRET,
    LOG_LEVEL: logs?.level ?? process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    // A service's public listener (voice's signalling and web client) takes a port the OS picks too.
    [`${service.toUpperCase()}_PUBLIC_PORT`]: '0',
  });
  delete process.env[`${service.toUpperCase()}_PORT`];
  setLogDestination(logs?.destination);
  const appModule = await loadModule().finally(() => setLogDestination(undefined));
  // rawBody, as bootstrapSubgraph: the caller context is verified against the body's exact bytes.
  const app = await NestFactory.create(appModule as never, { logger: false, rawBody: true });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  const messaging = app.get<Messaging>(MESSAGING);
  return {
    app,
    url,
    schema,
    prefix,
    messaging,
    async query(query, variables, caller) {
      const body = JSON.stringify({ query, variables });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (caller) Object.assign(headers, signCallerContext(caller, body, TEST_SIGNING_SECRET));
      const response = await fetch(url, { method: 'POST', headers, body });
      return (await response.json()) as never;
    },
    flushOutbox: () => app.get(MessagingLifecycle).flushOutbox(),
    async close() {
      await deleteStreamsWithPrefix(messaging.jsm, messaging.subjects).catch(() => undefined);
      await app.close();
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
