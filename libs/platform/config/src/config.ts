import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** A NATS server as the client takes it: `nats://` or `tls://` with a host, or a bare `host[:port]`. */
function isNatsServerUrl(server: string): boolean {
  try {
    const url = new URL(server.includes('://') ? server : `nats://${server}`);
    return (url.protocol === 'nats:' || url.protocol === 'tls:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Settings every service reads. Each service extends this with its own. */
export const platformEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/boomerang'),
  /** One NATS server, or every node of a cluster separated by commas (the client fails over between them). */
  NATS_URL: z
    .string()
    .refine(
      (value) => value.split(',').every((server) => isNatsServerUrl(server.trim())),
      'must be a NATS server URL, or several separated by commas (nats://host:4222,nats://host:4223)',
    )
    .default('nats://127.0.0.1:4222'),
  /** Copies of every stream, each on its own server: 1 on a single server; 3 or 5 (odd, so a majority survives a loss) on a cluster of at least as many nodes. */
  NATS_STREAM_REPLICAS: z
    .enum(['1', '3', '5'], { error: 'must be 1, 3 or 5 (an odd number of copies, at most the nodes of the NATS cluster)' })
    .default('1')
    .transform((value) => Number(value) as 1 | 3 | 5),
  /** Prefix for every NATS subject and stream; tests set one per run. */
  NATS_SUBJECT_PREFIX: z.string().default(''),
  /** Shared secret the gateway signs request context with and subgraphs verify. */
  INTERNAL_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Overrides the PostgreSQL schema a service owns (tests use throw-away schemas). */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier').optional(),
});

export type PlatformEnv = z.infer<typeof platformEnv>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

let dotenvLoaded = false;

/** Loads `.env` from the working directory once (real environment variables win). */
function loadDotEnv(): void {
  if (dotenvLoaded) return;
  dotenvLoaded = true;
  const file = resolve(process.cwd(), '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

/**
 * The one config loader: validates the environment against a schema and fails with every
 * problem named (variable and rule), instead of starting half-configured.
 */
export function loadConfig<T extends z.ZodTypeAny>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  if (env === process.env) loadDotEnv();
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return result.data;
}

/**
 * The settings `schema` describes as a NestJS provider for `@Inject(token)`: loaded once when the
 * app starts, so no class reads the environment itself.
 */
export function configProvider<T extends z.ZodTypeAny>(token: symbol, schema: T): { provide: symbol; useFactory: () => z.infer<T> } {
  return { provide: token, useFactory: () => loadConfig(schema) };
}
