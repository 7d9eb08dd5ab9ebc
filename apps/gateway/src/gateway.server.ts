import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { connectMessaging, isNatsReady, type Messaging } from '@boomerang/platform/messaging';
import { createLogger, type Logger } from '@boomerang/platform/observability';
import { ApiKeyCache } from '@boomerang/platform/auth';
import { CallerAuthenticator } from './auth/caller-authenticator.js';
import type { GatewayContext } from './auth/signed-data-source.js';
import type { GatewayConfig } from './gateway-config.js';
import { complexityLimitPlugin, depthLimitRule } from './limits/query-limits.js';
import { readJsonBody, requestErrorHandler } from './requests/json-body.js';
import { operationInputPlugin } from './requests/operation-input.plugin.js';
import { CircuitBreaker } from './subgraphs/circuit-breaker.js';
import { clientSafeErrors, SubgraphAddresses } from './subgraphs/client-safe-errors.js';
import { SubgraphDataSource } from './subgraphs/subgraph-data-source.js';
import { QueryPlanWarmer } from './supergraph/query-plan-warmer.js';
import { SupergraphFileManager } from './supergraph/supergraph-file-manager.js';

export interface RunningGateway {
  readonly url: string;
  readonly logger: Logger;
  close(): Promise<void>;
}

const INSTANCE_HEADER = 'x-boomerang-instance';

function parseSubgraphList(list: string): { name: string; url: string }[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, url] = entry.split('=');
      if (!name || !url) throw new Error(`SUBGRAPHS entry "${entry}" must look like name=http://host:port/graphql`);
      return { name, url };
    });
}

/** Builds and starts the gateway: auth, signing, limits, supergraph loading, health. */
export async function startGateway(config: GatewayConfig, logger = createLogger('gateway', config.LOG_LEVEL)): Promise<RunningGateway> {
  const messaging: Messaging = await connectMessaging({ url: config.NATS_URL, name: 'gateway', prefix: config.NATS_SUBJECT_PREFIX });
  const authenticator = new CallerAuthenticator(new ApiKeyCache(messaging, config.KEY_CACHE_TTL_MS, Date.now, 10_000, config.KEY_CACHE_STALE_IF_ERROR_MS), config.BOOMERANG_ADMIN_TOKEN);
  const warmer = new QueryPlanWarmer(logger);
  const addresses = new SubgraphAddresses();
  // One circuit per subgraph, kept across supergraph reloads (which build new data sources).
  const breakers = new Map<string, CircuitBreaker>();
  const breakerOf = (name: string) => {
    const settings = config.subgraphFetch(name);
    const breaker =
      breakers.get(name) ??
      new CircuitBreaker({ failureThreshold: settings.breakerFailures, openMs: settings.breakerOpenMs }, (state, previous) =>
        (state === 'open' ? logger.warn.bind(logger) : logger.info.bind(logger))({ subgraph: name, state, previous }, `${name}: circuit ${state}`),
      );
    breakers.set(name, breaker);
    return breaker;
  };

  const gateway = new ApolloGateway({
    supergraphSdl:
      config.SUPERGRAPH_SOURCE === 'file'
        ? new SupergraphFileManager(config.supergraphPath, logger)
        : new IntrospectAndCompose({ subgraphs: parseSubgraphList(config.SUBGRAPHS), pollIntervalInMs: 10_000 }),
    buildService: ({ name, url }) => {
      const target = config.subgraphUrls[name] ?? url!;
      addresses.add(target);
      return new SubgraphDataSource(name, target, config.INTERNAL_SIGNING_SECRET, config.subgraphFetch(name).timeoutMs, breakerOf(name));
    },
    logger: {
      debug: (message) => logger.debug(String(message)),
      info: (message) => logger.info(String(message)),
      warn: (message) => logger.warn(String(message)),
      error: (message) => logger.error(String(message)),
    },
  });
  warmer.attach(gateway);

  const app = express();
  app.disable('x-powered-by');
  const httpServer: Server = await new Promise((resolve) => {
    const server = app.listen(config.GATEWAY_PORT, config.HOST, () => resolve(server));
  });

  const server = new ApolloServer<GatewayContext>({
    gateway,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // main.ts owns the signals, so shutdown happens once and in order.
    stopOnTerminationSignals: false,
    validationRules: [depthLimitRule(config.MAX_QUERY_DEPTH)],
    formatError: clientSafeErrors(addresses, logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      operationInputPlugin(),
      complexityLimitPlugin(config.MAX_QUERY_COMPLEXITY),
      warmer.plugin(),
    ],
  });
  await server.start();

  app.get('/health/live', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/health/ready', async (req, res) => {
    const nats = await isNatsReady(messaging.nc);
    const supergraph = Boolean((gateway as unknown as { schema?: unknown }).schema);
    // The launcher's instance id, echoed only to whoever presents it (see tools/dev/platform.mjs).
    const presented = req.get(INSTANCE_HEADER);
    const instance = config.BOOMERANG_INSTANCE_ID && presented === config.BOOMERANG_INSTANCE_ID ? { instance: presented } : {};
    res.status(nats && supergraph ? 200 : 503).json({ status: nats && supergraph ? 'ready' : 'unavailable', checks: { nats, supergraph }, ...instance });
  });
  app.use(
    '/graphql',
    ...readJsonBody(),
    expressMiddleware(server, {
      context: async ({ req }) => ({ caller: await authenticator.authenticate(req.headers) }),
    }),
  );
  app.use(requestErrorHandler(logger));

  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.HOST}:${port}/graphql`;
  logger.info({ url }, `gateway ready at ${url}`);
  return {
    url,
    logger,
    async close() {
      await server.stop();
      await messaging.nc.drain().catch(() => undefined);
    },
  };
}
