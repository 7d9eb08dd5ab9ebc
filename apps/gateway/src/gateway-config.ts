import { resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig, platformEnv } from '@boomerang/platform/config';

export const gatewayEnv = platformEnv.omit({ DATABASE_URL: true, DATABASE_SCHEMA: true }).extend({
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  /** Creates projects; never give it to a product's code. */
  BOOMERANG_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters'),
  /** `file`: load the composed supergraph and reload it when it changes (production).
   *  `introspect`: compose from the running subgraphs listed in SUBGRAPHS (development). */
  SUPERGRAPH_SOURCE: z.enum(['file', 'introspect']).default('file'),
  SUPERGRAPH_PATH: z.string().default('supergraph/supergraph.graphql'),
  /** For `introspect`: `name=url,name=url`. */
  SUBGRAPHS: z.string().default(''),
  MAX_QUERY_DEPTH: z.coerce.number().int().positive().default(12),
  MAX_QUERY_COMPLEXITY: z.coerce.number().int().positive().default(5000),
  /** How long a key look-up is trusted; bounds how late a revocation takes effect. */
  KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5000),
  /** Set by the launcher; /health/ready echoes it only to a request that presents it. */
  BOOMERANG_INSTANCE_ID: z.string().min(1).optional(),
});

export type GatewayConfig = z.infer<typeof gatewayEnv> & {
  supergraphPath: string;
  /** Subgraph URL overrides from `SUBGRAPH_<NAME>_URL`, by subgraph name. */
  subgraphUrls: Record<string, string>;
};

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfig(gatewayEnv, env);
  const subgraphUrls: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = /^SUBGRAPH_([A-Z0-9_]+)_URL$/.exec(name);
    if (match && value) subgraphUrls[match[1]!.toLowerCase()] = value;
  }
  return { ...config, supergraphPath: resolve(config.SUPERGRAPH_PATH), subgraphUrls };
}
