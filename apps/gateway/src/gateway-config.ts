import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig, platformEnv } from '@boomerang/platform/config';

/** How long one subgraph fetch (request, answer and body) may take before its fields are given up. */
const timeoutMs = z.coerce.number().int().positive();
/** Consecutive failed fetches that open a subgraph's circuit. */
const breakerFailures = z.coerce.number().int().positive();
/** How long an open circuit refuses fetches before a trial one goes out. */
const breakerOpenMs = z.coerce.number().int().positive();

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
  /** How long past its TTL a key's answer still serves while workspace does not answer (its restart or deploy); 0: never. */
  KEY_CACHE_STALE_IF_ERROR_MS: z.coerce.number().int().min(0).default(60_000),
  /** Defaults for every subgraph; `SUBGRAPH_<NAME>_TIMEOUT_MS` etc. override them for one. */
  SUBGRAPH_TIMEOUT_MS: timeoutMs.default(10_000),
  SUBGRAPH_BREAKER_FAILURES: breakerFailures.default(5),
  SUBGRAPH_BREAKER_OPEN_MS: breakerOpenMs.default(5000),
  /** Set by the launcher; /health/ready echoes it only to a request that presents it. */
  BOOMERANG_INSTANCE_ID: z.string().min(1).optional(),
});

/** How the gateway fetches from one subgraph. */
export interface SubgraphFetchSettings {
  readonly timeoutMs: number;
  readonly breakerFailures: number;
  readonly breakerOpenMs: number;
}

type SubgraphFetchOverrides = Partial<Record<keyof SubgraphFetchSettings, number>>;

export type GatewayConfig = z.infer<typeof gatewayEnv> & {
  supergraphPath: string;
  /** Subgraph URL overrides from `SUBGRAPH_<NAME>_URL`, by subgraph name. */
  subgraphUrls: Record<string, string>;
  /** The fetch settings of a subgraph: its `SUBGRAPH_<NAME>_*` overrides, else the `SUBGRAPH_*` defaults. */
  subgraphFetch(name: string): SubgraphFetchSettings;
};

const PER_SUBGRAPH_SETTINGS = {
  TIMEOUT_MS: { key: 'timeoutMs', schema: timeoutMs },
  BREAKER_FAILURES: { key: 'breakerFailures', schema: breakerFailures },
  BREAKER_OPEN_MS: { key: 'breakerOpenMs', schema: breakerOpenMs },
} as const;

const PER_SUBGRAPH_VARIABLE = new RegExp(`^SUBGRAPH_([A-Z0-9_]+)_(${Object.keys(PER_SUBGRAPH_SETTINGS).join('|')})$`);

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfig(gatewayEnv, env);
  const subgraphUrls: Record<string, string> = {};
  const overrides: Record<string, SubgraphFetchOverrides> = {};
  const problems: string[] = [];
  for (const [variable, value] of Object.entries(env)) {
    const url = /^SUBGRAPH_([A-Z0-9_]+)_URL$/.exec(variable);
    if (url && value) subgraphUrls[url[1]!.toLowerCase()] = value;
    const setting = PER_SUBGRAPH_VARIABLE.exec(variable);
    if (!setting || value === undefined) continue;
    const { key, schema } = PER_SUBGRAPH_SETTINGS[setting[2] as keyof typeof PER_SUBGRAPH_SETTINGS];
    const parsed = schema.safeParse(value);
    if (parsed.success) (overrides[setting[1]!.toLowerCase()] ??= {})[key] = parsed.data;
    else problems.push(`${variable}: ${parsed.error.issues[0]!.message}`);
  }
  if (problems.length) throw new ConfigError(problems);
  const defaults: SubgraphFetchSettings = {
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    breakerFailures: config.SUBGRAPH_BREAKER_FAILURES,
    breakerOpenMs: config.SUBGRAPH_BREAKER_OPEN_MS,
  };
  return {
    ...config,
    supergraphPath: resolve(config.SUPERGRAPH_PATH),
    subgraphUrls,
    subgraphFetch: (name) => ({ ...defaults, ...overrides[name.toLowerCase()] }),
  };
}
