import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ensureDatabase, openServiceDataSource, type ServiceDataSourceOptions } from '@boomerang/platform/persistence';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/boomerang_test';

export interface IsolatedSchema {
  readonly schema: string;
  readonly url: string;
  readonly dataSource: DataSource;
  drop(): Promise<void>;
}

/** A unique schema name for one test run: `<base>_t<random>`. */
export function uniqueSchemaName(base: string): string {
  return `${base}_t${randomBytes(5).toString('hex')}`;
}

/**
 * Test helper: a throw-away schema with the service's migrations applied (the same migrations
 * production runs), dropped afterwards, so parallel and repeated runs never collide.
 */
export async function createIsolatedSchema(
  base: string,
  options: Omit<ServiceDataSourceOptions, 'url' | 'schema'> & { url?: string },
): Promise<IsolatedSchema> {
  const url = options.url ?? TEST_DATABASE_URL;
  await ensureDatabase(url);
  const schema = uniqueSchemaName(base);
  const dataSource = await openServiceDataSource({ ...options, url, schema, poolSize: options.poolSize ?? 4 });
  return {
    schema,
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) {
        await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await dataSource.destroy();
      }
    },
  };
}
