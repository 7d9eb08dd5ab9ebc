import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { PinoNestLogger, type Logger } from '@boomerang/platform/observability';
import { closeHttpServer } from './close-http-server.js';
import { HealthController } from './health.controller.js';
import { LOGGER, SUBGRAPH_CONFIG } from './tokens.js';
import type { SubgraphConfig } from './subgraph-config.js';

/**
 * Largest request body a subgraph reads. Only the gateway calls subgraphs; it forwards up to the
 * 1 MB a client may send, plus the entity representations of a query plan, so this leaves room.
 */
export const SUBGRAPH_BODY_LIMIT = '4mb';

/**
 * Stops a subgraph without failing a request it accepted: readiness answers 503 at once, requests
 * are still served for `SHUTDOWN_READINESS_DELAY_MS` (while load balancers notice), then the
 * listener closes (new connections are refused; the gateway sends a query refused or cut here
 * once more), the requests in flight finish (at most `SHUTDOWN_TIMEOUT_MS`), and Nest's shutdown
 * stops consumers, relay, NATS and the pool.
 */
export async function shutDownSubgraph(app: INestApplication, reason: string): Promise<void> {
  const config = app.get<SubgraphConfig>(SUBGRAPH_CONFIG);
  const logger = app.get<Logger>(LOGGER);
  app.get(HealthController).beginDraining();
  const server = app.getHttpServer() as Server;
  // Answers from now on close their connection, so no client sends its next request on it.
  server.prependListener('request', (_request, response) => response.setHeader('connection', 'close'));
  logger.info({ reason }, 'draining: readiness answers 503, requests in flight finish');
  if (config.SHUTDOWN_READINESS_DELAY_MS > 0) await sleep(config.SHUTDOWN_READINESS_DELAY_MS);
  await closeHttpServer(server, config.SHUTDOWN_TIMEOUT_MS);
  logger.info('requests finished; stopping consumers and connections');
  await app.close();
}

/** SIGTERM or SIGINT (once; the terminal and the launcher may both send one) shuts the subgraph down and exits. */
function exitGracefullyOnSignals(app: INestApplication, logger: Logger, config: SubgraphConfig): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      // Whatever hangs in shutdown must not keep a stopping process alive.
      setTimeout(() => {
        logger.error('shutdown did not finish in time; exiting');
        process.exit(1);
      }, config.SHUTDOWN_READINESS_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS + 15_000).unref();
      shutDownSubgraph(app, signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

/**
 * Starts a subgraph: structured logs, listen on the service's port, and graceful shutdown on
 * SIGTERM/SIGINT (shutDownSubgraph). With `--print-schema` it prints the subgraph SDL and exits
 * (used by `npm run schema:generate`).
 */
export async function bootstrapSubgraph(appModule: unknown, service: string): Promise<INestApplication> {
  // rawBody: the caller context is signed over the exact bytes of the request body.
  const app = await NestFactory.create<NestExpressApplication>(appModule as never, { bufferLogs: true, abortOnError: false, rawBody: true });
  app.useBodyParser('json', { limit: SUBGRAPH_BODY_LIMIT });
  const logger = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(logger));
  if (process.argv.includes('--print-schema')) {
    await app.init();
    process.stdout.write(printSubgraphSchema(app.get(GraphQLSchemaHost).schema) + '\n');
    await app.close();
    return app;
  }
  const config = app.get<SubgraphConfig>(SUBGRAPH_CONFIG);
  exitGracefullyOnSignals(app, logger, config);
  await app.listen(config.port, config.HOST);
  logger.info({ port: config.port, schema: config.schema }, `${service} subgraph ready at http://${config.HOST}:${config.port}/graphql`);
  return app;
}
