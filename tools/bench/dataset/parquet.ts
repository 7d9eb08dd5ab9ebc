// The bench data set's events and profiles as Parquet files, for DuckDB: dumped from PostgreSQL
// month by month (COPY … TO STDOUT as CSV), each dump turned into a Parquet file by DuckDB and
// deleted. Kept in a directory named by the parameters, with `export.json` saying which load of
// the rows it holds; reused until the data set is loaded again.
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { monthStart } from '../../../apps/events/src/partitions/event-partitions.js';
import type { DatasetParameters } from './generate.js';
import type { BenchDataset } from './load.js';

export interface ParquetDataset {
  directory: string;
  /** A glob of the events' files (one per month), for `read_parquet`. */
  events: string;
  profiles: string;
  /** True when the files were there already. */
  reused: boolean;
  /** Seconds the export took (the one that made the files). */
  seconds: number;
}

interface ExportMarker {
  parameters: DatasetParameters;
  /** The PostgreSQL load these files were made from. */
  loadedAt: string;
  seconds: number;
}

export interface ParquetOptions {
  /** Default: BENCH_PARQUET_DIR, else `<os tmpdir>/boomerang-bench`; the files go in a folder per parameter set under it. */
  root?: string;
  force?: boolean;
  log?: (line: string) => void;
}

/**
 * Columns of the events' Parquet files: the stored columns a question reads, Charged's `Amount`
 * (numbers and decimal strings alike, as DECIMAL(18,2)), `currency` and `category` as columns, as a
 * columnar copy would have them, and the whole `properties` as JSON. Timestamps are TIMESTAMPTZ.
 */
const EVENT_COLUMNS: [name: string, postgres: string, duckdb: string][] = [
  ['id', 'id', 'UUID'],
  ['profile_id', 'profile_id', 'UUID'],
  ['type', 'type', 'VARCHAR'],
  ['name', 'name', 'VARCHAR'],
  ['user_id', 'user_id', 'VARCHAR'],
  ['anonymous_id', 'anonymous_id', 'VARCHAR'],
  ['timestamp', `(extract(epoch FROM "timestamp") * 1000)::bigint`, 'MS'],
  ['received_at', `(extract(epoch FROM received_at) * 1000)::bigint`, 'MS'],
  ['amount', `CASE WHEN jsonb_typeof(properties -> 'Amount') IN ('number', 'string') THEN properties ->> 'Amount' END`, 'DECIMAL(18,2)'],
  ['currency', `properties ->> 'currency'`, 'VARCHAR'],
  ['category', `properties ->> 'category'`, 'VARCHAR'],
  ['properties', 'properties::text', 'JSON'],
];

const PROFILE_COLUMNS: [name: string, postgres: string, duckdb: string][] = [
  ['id', 'id', 'UUID'],
  ['external_id', 'external_id', 'VARCHAR'],
  ['anonymous_id', 'anonymous_id', 'VARCHAR'],
  ['email', 'email', 'VARCHAR'],
  ['phone', 'phone', 'VARCHAR'],
  ['name', 'name', 'VARCHAR'],
  ['time_zone', 'time_zone', 'VARCHAR'],
  ['locale', 'locale', 'VARCHAR'],
  ['created_at', `(extract(epoch FROM created_at) * 1000)::bigint`, 'MS'],
  ['updated_at', `(extract(epoch FROM updated_at) * 1000)::bigint`, 'MS'],
  ['plan', `properties ->> 'plan'`, 'VARCHAR'],
  ['country', `properties ->> 'country'`, 'VARCHAR'],
  ['city', `properties ->> 'city'`, 'VARCHAR'],
  ['platform', `properties ->> 'platform'`, 'VARCHAR'],
  ['age', `(properties ->> 'age')::int`, 'INTEGER'],
  ['acquisition_source', `properties ->> 'acquisition_source'`, 'VARCHAR'],
  ['referrer', `properties ->> 'referrer'`, 'VARCHAR'],
  ['properties', 'properties::text', 'JSON'],
  ['consent', 'consent::text', 'JSON'],
];

/** The Parquet copy of the data set's rows, exported unless the one on disk came from this very load. */
export async function ensureParquet(dataset: BenchDataset, options: ParquetOptions = {}): Promise<ParquetDataset> {
  const log = options.log ?? (() => {});
  const { parameters } = dataset;
  const root = options.root ?? process.env.BENCH_PARQUET_DIR ?? join(tmpdir(), 'boomerang-bench');
  const key = `p${parameters.profiles}-e${parameters.events}-m${parameters.months}-s${parameters.seed}-${parameters.now.replace(/[:.]/g, '')}`;
  const directory = join(root, key);
  const files = { directory, events: join(directory, 'events', '*.parquet'), profiles: join(directory, 'profiles.parquet') };
  const markerFile = join(directory, 'export.json');
  const marker = existsSync(markerFile) ? (JSON.parse(readFileSync(markerFile, 'utf8')) as ExportMarker) : null;
  if (!options.force && marker && marker.loadedAt === dataset.loadedAt.toISOString()) {
    log(`parquet: reusing ${directory}`);
    return { ...files, reused: true, seconds: marker.seconds };
  }
  log(`parquet: exporting to ${directory}`);
  const started = performance.now();
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(join(directory, 'events'), { recursive: true });
  const client = new pg.Client({ connectionString: dataset.databaseUrl });
  await client.connect();
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    const project = `project_id = '${dataset.projectId}'`;
    for (let month = monthStart(dataset.start); month < dataset.now; month = monthStart(month, 1)) {
      const next = monthStart(month, 1);
      const where = `${project} AND "timestamp" >= '${month.toISOString()}' AND "timestamp" < '${next.toISOString()}'`;
      const target = join(directory, 'events', `${month.toISOString().slice(0, 7)}.parquet`);
      await exportTable(client, connection, EVENT_COLUMNS, `events.event WHERE ${where} ORDER BY "timestamp", id`, target, directory);
    }
    await exportTable(client, connection, PROFILE_COLUMNS, `profiles.profile WHERE ${project} ORDER BY created_at, id`, files.profiles, directory);
    const counted = await connection.runAndReadAll(
      `SELECT (SELECT count(*) FROM read_parquet('${files.events}'))::INTEGER AS events, (SELECT count(*) FROM read_parquet('${files.profiles}'))::INTEGER AS profiles`,
    );
    const [row] = counted.getRowObjectsJson() as { events: number; profiles: number }[];
    if (row!.events !== parameters.events || row!.profiles !== parameters.profiles) {
      throw new Error(`parquet: exported ${row!.profiles} profiles and ${row!.events} events, expected ${parameters.profiles} and ${parameters.events}`);
    }
  } finally {
    connection.closeSync();
    duck.closeSync();
    await client.end();
  }
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  writeFileSync(markerFile, JSON.stringify({ parameters, loadedAt: dataset.loadedAt.toISOString(), seconds } satisfies ExportMarker, null, 2));
  log(`parquet: exported in ${seconds} s`);
  return { ...files, reused: false, seconds };
}

/** One query's rows: PostgreSQL's CSV dump into a file, DuckDB's Parquet from it, the dump deleted. */
async function exportTable(
  client: pg.Client,
  connection: DuckDBConnection,
  columns: [string, string, string][],
  from: string,
  target: string,
  directory: string,
): Promise<void> {
  const dump = join(directory, 'dump.csv');
  const select = columns.map(([name, expression]) => `${expression} AS "${name}"`).join(', ');
  await pipeline(client.query(copyTo(`COPY (SELECT ${select} FROM ${from}) TO STDOUT WITH (FORMAT csv)`)), createWriteStream(dump));
  const read = columns.map(([name, , type]) => `'${name}': '${type === 'MS' ? 'BIGINT' : type === 'JSON' ? 'VARCHAR' : type}'`).join(', ');
  const project = columns
    .map(([name, , type]) => (type === 'MS' ? `timezone('UTC', epoch_ms("${name}")) AS "${name}"` : type === 'JSON' ? `"${name}"::JSON AS "${name}"` : `"${name}"`))
    .join(', ');
  await connection.run(
    `COPY (SELECT ${project} FROM read_csv('${dump}', header = false, quote = '"', escape = '"', columns = {${read}})) TO '${target}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  rmSync(dump);
}
