import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { PinoNestLogger, type Logger } from '@boomerang/platform/observability';
import { LOGGER, SUBGRAPH_CONFIG } from './tokens.js';
import type { SubgraphConfig } from './subgraph-config.js';

/**
 * Largest request body a subgraph reads. Only the gateway calls subgraphs; it forwards up to the
 * 1 MB a client may send, plus the entity representations of a query plan, so this leaves room.
 */
export const SUBGRAPH_BODY_LIMIT = '4mb';

/**
 * Starts a subgraph: structured logs, graceful shutdown on SIGTERM/SIGINT (Nest closes the
 * HTTP server, consumers, relay, NATS and the pool in order), listen on the service's port.
 * With `--print-schema` it prints the subgraph SDL and exits (used by `npm run schema:generate`).
 */
export async function bootstrapSubgraph(appModule: unknown, service: string): Promise<INestApplication> {
  // rawBody: the caller context is signed over the exact bytes of the request body.
  const app = await NestFactory.create<NestExpressApplication>(appModule as never, { bufferLogs: true, abortOnError: false, rawBody: true });
  app.useBodyParser('json', { limit: SUBGRAPH_BODY_LIMIT });
  const logger = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(logger));
  app.enableShutdownHooks();
  if (process.argv.includes('--print-schema')) {
    await app.init();
    process.stdout.write(printSubgraphSchema(app.get(GraphQLSchemaHost).schema) + '\n');
    await app.close();
    return app;
  }
  const config = app.get<SubgraphConfig>(SUBGRAPH_CONFIG);
  await app.listen(config.port, config.HOST);
  logger.info({ port: config.port, schema: config.schema }, `${service} subgraph ready at http://${config.HOST}:${config.port}/graphql`);
  return app;
}
