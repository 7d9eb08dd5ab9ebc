import { z } from 'zod';
import { loadConfig, platformEnv } from '@boomerang/platform/config';

const listenPort = z.coerce.number().int().min(0).max(65535);

export const subgraphEnv = platformEnv.extend({
  PORT: listenPort.optional(),
  HOST: z.string().default('127.0.0.1'),
  /** Apply pending migrations on start (the default); deployments may run them as a job. */
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Set by the launcher; /health/ready echoes it only to a request that presents it (see health.controller.ts). */
  BOOMERANG_INSTANCE_ID: z.string().min(1).optional(),
  /** On SIGTERM: how long readiness answers 503 while requests are still served, so load balancers stop sending first. */
  SHUTDOWN_READINESS_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** On SIGTERM: how long requests in flight may take to finish before their connections are cut. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

type SubgraphEnv = z.infer<typeof subgraphEnv>;
export type SubgraphConfig = SubgraphEnv & { port: number; schema: string };

/** The platform's settings for `service`; its port is `<SERVICE>_PORT`, else `PORT`, else `defaultPort`. */
export function loadSubgraphConfig(service: string, defaultPort: number): SubgraphConfig {
  const portVariable = `${service.toUpperCase()}_PORT`;
  // A computed key erases the shape zod infers: the result is typed here.
  const env = loadConfig(subgraphEnv.extend({ [portVariable]: listenPort.optional() })) as unknown as SubgraphEnv & Record<string, unknown>;
  const port = (env[portVariable] as number | undefined) ?? env.PORT ?? defaultPort;
  return { ...env, port, schema: env.DATABASE_SCHEMA ?? service };
}
