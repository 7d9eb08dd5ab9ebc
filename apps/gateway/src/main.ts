import { createLogger } from '@boomerang/platform/observability';
import { loadGatewayConfig } from './gateway-config.js';
import { startGateway } from './gateway.server.js';

const config = loadGatewayConfig();
const logger = createLogger('gateway', config.LOG_LEVEL);
const gateway = await startGateway(config, logger);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'gateway stopping');
    // Connections that never go idle must not keep a stopping gateway alive.
    setTimeout(() => {
      logger.warn('gateway did not stop within 10 s; exiting');
      process.exit(1);
    }, 10_000).unref();
    gateway.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'gateway did not stop cleanly');
        process.exit(1);
      },
    );
  });
}
