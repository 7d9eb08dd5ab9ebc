import pg from 'pg';
import { DataSource, type DataSourceOptions, type EntitySchema, type MigrationInterface } from 'typeorm';
import type { Logger } from '@boomerang/platform/observability';
import { ParameterFreeQueryLogger } from './query-logger.js';

type EntityTarget = (new (...args: never[]) => unknown) | EntitySchema;
type MigrationClass = new () => MigrationInterface;

export interface ServiceDataSourceOptions {
  url: string;
  /** The PostgreSQL schema this service owns; nothing else is read or written. */
  schema: string;
  entities: EntityTarget[];
  migrations: MigrationClass[];
  /** Pool size per process. */
  poolSize?: number;
  /** Where failed and slow queries are reported (without their parameters). */
  logger?: Logger;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export function assertIdentifier(name: string, what = 'schema'): string {
  if (!IDENTIFIER.test(name)) throw new Error(`${what} name "${name}" must be a lower-case SQL identifier`);
  return name;
}

/**
 * TypeORM options for one service: its own schema (also first on the search path, so
 * migrations write unqualified names), its own migrations table, and never `synchronize`.
 */
export function serviceDataSourceOptions(options: ServiceDataSourceOptions): DataSourceOptions {
  const schema = assertIdentifier(options.schema);
  return {
    type: 'postgres',
    url: options.url,
    schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn', 'migration'],
    logger: new ParameterFreeQueryLogger(options.logger),
    maxQueryExecutionTime: 1000,
    extra: { max: options.poolSize ?? 10, options: `-c search_path=${schema},public` },
  };
}

/** Creates the database named in `url` if it does not exist (first start on a fresh server). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error(`DATABASE_URL "${target.host}" names no database`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // another process created it first
      });
    }
  } finally {
    await client.end();
  }
}

export async function ensureSchema(dataSource: DataSource, schema: string): Promise<void> {
  await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${assertIdentifier(schema)}"`);
}

/** Opens the service's data source, creating its schema and applying pending migrations. */
export async function openServiceDataSource(
  options: ServiceDataSourceOptions,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<DataSource> {
  const dataSource = new DataSource(serviceDataSourceOptions(options));
  await dataSource.initialize();
  if (migrate) {
    await ensureSchema(dataSource, options.schema);
    await dataSource.runMigrations({ transaction: 'each' });
  }
  return dataSource;
}
