import { z } from 'zod';
import { loadConfig, platformEnv } from '@boomerang/platform/config';

export const subgraphEnv = platformEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().default('127.0.0.1'),
  /** Apply pending migrations on start (the default); deployments may run them as a job. */
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Set by the launcher; /health/ready echoes it only to a request that presents it (see health.controller.ts). */
  BOOMERANG_INSTANCE_ID: z.string().min(1).optional(),
});
export type SubgraphConfig = z.infer<typeof subgraphEnv> & { port: number; schema: string };

export function loadSubgraphConfig(service: string, defaultPort: number): SubgraphConfig {
  const env = loadConfig(subgraphEnv);
  const portVariable = `${service.toUpperCase()}_PORT`;
  const port = Number(process.env[portVariable] ?? env.PORT ?? defaultPort);
  return { ...env, port, schema: env.DATABASE_SCHEMA ?? service };
}
