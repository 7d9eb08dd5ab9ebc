// Loads the bench data set into its own database (`boomerang_bench`): the `events` and
// `profiles` schemas made by the apps' own migrations, the rows by streamed COPY, and a marker
// (`bench.dataset`) holding the parameters, so the next run with the same ones reuses the rows.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ensureDatabase, openServiceDataSource } from '@boomerang/platform/persistence';
import { ensureMonthPartition, monthStart } from '../../../apps/events/src/partitions/event-partitions.js';
import { copyText, DatasetGenerator, DEFAULT_PARAMETERS, EventRows, GENERATOR_VERSION, NULL, projectIdOf, startOf, type DatasetParameters } from './generate.js';

export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/boomerang_bench';

export interface BenchDatasetOptions extends Partial<DatasetParameters> {
  /** Default: BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/boomerang_bench. Its `events`, `profiles` and `bench` schemas are the data set's. */
  databaseUrl?: string;
  /** Reload even when the marker says these rows are loaded already. */
  force?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface BenchDataset {
  databaseUrl: string;
  projectId: string;
  /** The fixed "now" the data ends at. */
  now: Date;
  /** The first instant of the history (`months` before now). */
  start: Date;
  parameters: DatasetParameters;
  /** When these rows were loaded (the load this run reused, or its own). */
  loadedAt: Date;
  /** True when the rows were already there. */
  reused: boolean;
  /** Seconds per phase of the load that made the rows. */
  timings: Record<string, number>;
}

/** Profiles per generated chunk written to the COPY streams. */
const CHUNK = 5000;
/** Events per chunk: small, so its strings die young. */
const EVENT_CHUNK = 500;

/**
 * The data set for these parameters, loaded unless the marker says it already is (same
 * parameters, completed load). Concurrent callers wait for each other (an advisory lock).
 */
export async function ensureBenchDataset(options: BenchDatasetOptions = {}): Promise<BenchDataset> {
  const parameters = parametersOf(options);
  const databaseUrl = options.databaseUrl ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_DATABASE_URL;
  const log = options.log ?? (() => {});
  await ensureDatabase(databaseUrl);
  const control = new pg.Client({ connectionString: databaseUrl });
  await control.connect();
  try {
    await control.query(`SELECT pg_advisory_lock(hashtext('boomerang.bench.dataset'))`);
    const marker = await readMarker(control);
    const result = (loadedAt: Date, reused: boolean, timings: Record<string, number>): BenchDataset => ({
      databaseUrl,
      projectId: projectIdOf(parameters),
      now: new Date(parameters.now),
      start: startOf(parameters),
      parameters,
      loadedAt,
      reused,
      timings,
    });
    if (!options.force && marker && sameParameters(marker.parameters, parameters) && marker.generator === GENERATOR_VERSION) {
      log(`dataset: reusing ${describe(parameters)} loaded ${marker.loadedAt.toISOString()}`);
      return result(marker.loadedAt, true, marker.timings);
    }
    log(`dataset: loading ${describe(parameters)} into ${new URL(databaseUrl).pathname.slice(1)}`);
    const timings = await load(control, databaseUrl, parameters, log);
    const loadedAt = new Date();
    await control.query(`CREATE SCHEMA IF NOT EXISTS bench`);
    await control.query(
      `CREATE TABLE IF NOT EXISTS bench.dataset (
         singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
         parameters jsonb NOT NULL,
         project_id uuid NOT NULL,
         loaded_at timestamptz NOT NULL,
         timings jsonb NOT NULL
       )`,
    );
    await control.query(
      `INSERT INTO bench.dataset (parameters, project_id, loaded_at, timings) VALUES ($1, $2, $3, $4)
       ON CONFLICT (singleton) DO UPDATE SET parameters = excluded.parameters, project_id = excluded.project_id, loaded_at = excluded.loaded_at, timings = excluded.timings`,
      [JSON.stringify({ ...parameters, generator: GENERATOR_VERSION }), projectIdOf(parameters), loadedAt, JSON.stringify(timings)],
    );
    return result(loadedAt, false, timings);
  } finally {
    await control.end();
  }
}

export function parametersOf(options: Partial<DatasetParameters>): DatasetParameters {
  const parameters: DatasetParameters = {
    profiles: options.profiles ?? DEFAULT_PARAMETERS.profiles,
    events: options.events ?? DEFAULT_PARAMETERS.events,
    now: new Date(options.now ?? DEFAULT_PARAMETERS.now).toISOString(),
    months: options.months ?? DEFAULT_PARAMETERS.months,
    seed: options.seed ?? DEFAULT_PARAMETERS.seed,
  };
  for (const key of ['profiles', 'events', 'months', 'seed'] as const) {
    if (!Number.isInteger(parameters[key]) || parameters[key] < (key === 'events' || key === 'seed' ? 0 : 1)) {
      throw new Error(`dataset parameter ${key} must be a ${key === 'events' || key === 'seed' ? 'non-negative' : 'positive'} integer, got ${parameters[key]}`);
    }
  }
  if (Number.isNaN(new Date(parameters.now).getTime())) throw new Error(`dataset parameter now must be a date, got ${options.now}`);
  return parameters;
}

function describe(parameters: DatasetParameters): string {
  return `${parameters.profiles.toLocaleString('en')} profiles / ${parameters.events.toLocaleString('en')} events, ${parameters.months} months to ${parameters.now}, seed ${parameters.seed}`;
}

function sameParameters(a: DatasetParameters, b: DatasetParameters): boolean {
  return (['profiles', 'events', 'now', 'months', 'seed'] as const).every((key) => a[key] === b[key]);
}

interface Marker {
  parameters: DatasetParameters;
  /** GENERATOR_VERSION of the load (1 before it was recorded). */
  generator: number;
  loadedAt: Date;
  timings: Record<string, number>;
}

async function readMarker(client: pg.Client): Promise<Marker | null> {
  const { rows } = await client.query<{ found: string | null }>(`SELECT to_regclass('bench.dataset')::text AS found`);
  if (!rows[0]?.found) return null;
  const marker = await client.query<{ parameters: DatasetParameters; loaded_at: Date; timings: Record<string, number> }>(
    `SELECT parameters, loaded_at, timings FROM bench.dataset`,
  );
  const row = marker.rows[0];
  return row ? { parameters: row.parameters, generator: (row.parameters as { generator?: number }).generator ?? 1, loadedAt: row.loaded_at, timings: row.timings } : null;
}

/** Drops what an earlier load left, migrates, generates and COPYs; returns seconds per phase. */
async function load(control: pg.Client, databaseUrl: string, parameters: DatasetParameters, log: (line: string) => void): Promise<Record<string, number>> {
  const timings: Record<string, number> = {};
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await work();
    timings[name] = round((performance.now() - started) / 1000);
    log(`dataset: ${name} ${timings[name]} s`);
    return value;
  };
  const generator = new DatasetGenerator(parameters);
  const projectId = generator.projectId;

  await phase('migrate', async () => {
    await control.query(`DROP SCHEMA IF EXISTS bench, events, profiles CASCADE`);
    for (const service of await appSchemas()) {
      const dataSource = await openServiceDataSource({ url: databaseUrl, ...service, poolSize: 1 });
      await dataSource.destroy();
    }
    const events = await connect(databaseUrl, 'events');
    try {
      await events.query('BEGIN');
      const runner = { query: async (sql: string, values?: unknown[]) => (await events.query(sql, values)).rows };
      for (let month = monthStart(new Date(generator.start)); month.getTime() < generator.now; month = monthStart(month, 1)) {
        await ensureMonthPartition(runner, month);
      }
      await events.query('COMMIT');
    } finally {
      await events.end();
    }
  });

  await phase('generate', async () => {
    generator.events();
  });

  const rebuild = await phase('drop indexes', async () => [
    ...(await dropIndexes(control, ['events.event', 'events.event_message_id'])),
    // Their keys stay: foreign keys rely on them.
    ...(await dropIndexes(control, ['profiles.profile', 'profiles.profile_identity', 'events.profile_link'], { keepKeys: true })),
  ]);
  await phase('copy profiles', () => copyProfiles(databaseUrl, generator));
  await phase('copy events', () => copyEvents(databaseUrl, generator, log));
  await phase('build indexes', () => rebuildIndexes(databaseUrl, rebuild));
  await phase('vacuum analyze', async () => {
    for (const table of ['events.event', 'events.event_message_id', 'events.profile_link', 'events.known_profile', 'profiles.profile', 'profiles.profile_identity']) {
      await control.query(`VACUUM (ANALYZE) ${table}`);
    }
  });
  const { rows } = await control.query<{ events: string; profiles: string }>(
    `SELECT (SELECT count(*) FROM events.event WHERE project_id = $1) AS events, (SELECT count(*) FROM profiles.profile WHERE project_id = $1) AS profiles`,
    [projectId],
  );
  if (Number(rows[0]!.events) !== parameters.events || Number(rows[0]!.profiles) !== parameters.profiles) {
    throw new Error(`dataset: loaded ${rows[0]!.profiles} profiles and ${rows[0]!.events} events, expected ${parameters.profiles} and ${parameters.events}`);
  }
  timings.total = round(Object.values(timings).reduce((sum, seconds) => sum + seconds, 0));
  return timings;
}

/**
 * The events and profiles apps' own entities and migration lists, from their app modules. Those
 * read the platform's settings as they load and a bench process has none: a throw-away signing
 * secret stands in (no app starts here, nothing is signed).
 */
async function appSchemas() {
  process.env.INTERNAL_SIGNING_SECRET ??= randomBytes(32).toString('hex');
  const events = await import('../../../apps/events/src/app.module.js');
  const profiles = await import('../../../apps/profiles/src/app.module.js');
  return [
    { schema: 'events', entities: events.EVENTS_ENTITIES, migrations: events.EVENTS_MIGRATIONS },
    { schema: 'profiles', entities: profiles.PROFILES_ENTITIES, migrations: profiles.PROFILES_MIGRATIONS },
  ];
}

/** The load's phases in the order they run (the marker's jsonb keeps its own key order). */
const PHASES = ['migrate', 'generate', 'drop indexes', 'copy profiles', 'copy events', 'build indexes', 'vacuum analyze', 'total'];

/** `phase N s, …` in the order the phases ran. */
export function formatTimings(timings: Record<string, number>): string {
  const rank = (phase: string) => (PHASES.includes(phase) ? PHASES.indexOf(phase) : PHASES.length);
  return Object.entries(timings)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([phase, seconds]) => `${phase} ${seconds} s`)
    .join(', ');
}

const round = (seconds: number) => Math.round(seconds * 100) / 100;

async function connect(databaseUrl: string, schema: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema},public` });
  await client.connect();
  // Rows are valid by construction: foreign keys are not re-checked row by row, and commits need not wait for the disk.
  await client.query(`SET session_replication_role = replica`);
  await client.query(`SET synchronous_commit = off`);
  return client;
}

/** One streamed COPY on its own connection; `write` waits while the stream is full. */
class CopySink {
  private constructor(
    private readonly client: pg.Client,
    private readonly stream: Writable,
  ) {}

  static async open(databaseUrl: string, table: string, columns: string): Promise<CopySink> {
    const client = await connect(databaseUrl, 'public');
    const stream = client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`));
    return new CopySink(client, stream);
  }

  /** Rows, each ending with a newline. */
  async write(rows: string | Buffer): Promise<void> {
    if (rows.length === 0) return;
    if (!this.stream.write(rows)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    try {
      this.stream.end();
      await finished(this.stream);
    } finally {
      await this.client.end();
    }
  }
}

const chunkOf = (lines: string[]) => Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '');

async function withSinks(sinks: Promise<CopySink>[], work: (opened: CopySink[]) => Promise<void>): Promise<void> {
  const opened = await Promise.all(sinks);
  try {
    await work(opened);
  } finally {
    await Promise.all(opened.map((sink) => sink.close()));
  }
}

/** Profiles and their identities (profiles), and what events knows of them: links and known profiles. */
async function copyProfiles(databaseUrl: string, generator: DatasetGenerator): Promise<void> {
  const projectId = generator.projectId;
  const lastSeen = generator.lastSeen();
  await withSinks(
    [
      CopySink.open(databaseUrl, 'profiles.profile', 'id, project_id, external_id, anonymous_id, email, phone, name, properties, consent, time_zone, locale, created_at, updated_at'),
      CopySink.open(databaseUrl, 'profiles.profile_identity', 'project_id, kind, value, profile_id, created_at'),
      CopySink.open(databaseUrl, 'events.profile_link', 'project_id, kind, value, profile_id, version'),
      CopySink.open(databaseUrl, 'events.known_profile', 'project_id, profile_id'),
    ],
    async ([profiles, identities, links, known]) => {
      const text = (value: string | null) => (value === null ? NULL : copyText(value));
      for (let from = 0; from < generator.parameters.profiles; from += CHUNK) {
        const rows: string[][] = [[], [], [], []];
        for (let i = from; i < Math.min(from + CHUNK, generator.parameters.profiles); i++) {
          const p = generator.profileAt(i);
          const createdAt = new Date(p.createdAt).toISOString();
          rows[0]!.push(
            [
              p.id,
              projectId,
              text(p.externalId),
              p.anonymousId,
              text(p.email),
              text(p.phone),
              text(p.name),
              copyText(JSON.stringify(p.properties)),
              copyText(JSON.stringify(p.consent)),
              text(p.timeZone),
              text(p.locale),
              createdAt,
              new Date(lastSeen[i]!).toISOString(),
            ].join('\t'),
          );
          const ids: [string, string][] = [['anonymous_id', p.anonymousId]];
          if (p.externalId) ids.push(['user_id', p.externalId]);
          for (const [kind, value] of ids) rows[2]!.push(`${projectId}\t${kind}\t${copyText(value)}\t${p.id}\t1`);
          if (p.email) ids.push(['email', p.email]);
          if (p.phone) ids.push(['phone', p.phone]);
          for (const [kind, value] of ids) rows[1]!.push(`${projectId}\t${kind}\t${copyText(value)}\t${p.id}\t${createdAt}`);
          rows[3]!.push(`${projectId}\t${p.id}`);
        }
        await Promise.all([profiles.write(chunkOf(rows[0]!)), identities.write(chunkOf(rows[1]!)), links.write(chunkOf(rows[2]!)), known.write(chunkOf(rows[3]!))]);
      }
    },
  );
  const profilesClient = await connect(databaseUrl, 'profiles');
  try {
    const start = new Date(generator.start);
    const types: [string, string][] = [
      ['country', 'string'],
      ['city', 'string'],
      ['platform', 'string'],
      ['plan', 'string'],
      ['acquisition_source', 'string'],
      ['age', 'number'],
      ['referrer', 'string'],
      ['app_version', 'string'],
    ];
    await profilesClient.query(
      `INSERT INTO profile_property (project_id, name, type, first_seen_at) SELECT $1, name, type, $4 FROM unnest($2::text[], $3::text[]) AS p (name, type)`,
      [projectId, types.map(([name]) => name), types.map(([, type]) => type), start],
    );
  } finally {
    await profilesClient.end();
  }
  const eventsClient = await connect(databaseUrl, 'events');
  try {
    await eventsClient.query(`INSERT INTO profile_link_version (project_id, version, reset_version, repaired_version) VALUES ($1, 1, 0, 1)`, [projectId]);
    // The known-profiles backfill has nothing to bring: every profile is known already.
    await eventsClient.query(`UPDATE known_profile_backfill SET completed_at = now()`);
  } finally {
    await eventsClient.end();
  }
}

async function copyEvents(databaseUrl: string, generator: DatasetGenerator, log: (line: string) => void): Promise<void> {
  const rows = generator.eventRows();
  const total = generator.parameters.events;
  let reported = 0;
  await withSinks(
    [CopySink.open(databaseUrl, 'events.event', EventRows.EVENT_COLUMNS), CopySink.open(databaseUrl, 'events.event_message_id', EventRows.CLAIM_COLUMNS)],
    async ([events, claims]) => {
      let written = 0;
      while (!rows.done) {
        const chunk = rows.take(EVENT_CHUNK);
        await Promise.all([events.write(chunk.events), claims.write(chunk.claims)]);
        written += chunk.rows;
        if (written - reported >= 1_000_000) {
          reported = written;
          log(`dataset: ${written.toLocaleString('en')} / ${total.toLocaleString('en')} events`);
        }
      }
    },
  );
}

interface IndexDefinition {
  table: string;
  name: string;
  /** `ALTER TABLE … ADD CONSTRAINT …` or `CREATE INDEX …`, as the migrations made it. */
  create: string;
}

/**
 * Drops the indexes and key constraints (with `keepKeys`, the indexes only) of `tables` (partitioned parents included), returning
 * their definitions: a COPY into bare tables and one sorted build per index afterwards is several
 * times faster than keeping 10M rows' worth of btrees up to date row by row.
 */
async function dropIndexes(client: pg.Client, tables: string[], { keepKeys = false } = {}): Promise<IndexDefinition[]> {
  const definitions: IndexDefinition[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ name: string; constraint_def: string | null; index_def: string }>(
      `SELECT i.relname AS name, pg_get_constraintdef(c.oid) AS constraint_def, pg_get_indexdef(i.oid) AS index_def
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = x.indrelid
       WHERE x.indrelid = $1::regclass`,
      [table],
    );
    for (const row of rows) {
      if (keepKeys && row.constraint_def) continue;
      const create = row.constraint_def
        ? `ALTER TABLE ${table} ADD CONSTRAINT ${row.name} ${row.constraint_def}`
        : row.index_def.replace(/ ON ONLY /, ' ON ');
      definitions.push({ table, name: row.name, create });
      const schema = table.split('.')[0];
      await client.query(row.constraint_def ? `ALTER TABLE ${table} DROP CONSTRAINT ${row.name}` : `DROP INDEX ${schema}.${row.name}`);
    }
  }
  return definitions;
}

/** Builds the dropped indexes again, two at a time (each with its own maintenance memory). */
async function rebuildIndexes(databaseUrl: string, definitions: IndexDefinition[]): Promise<void> {
  const queue = [...definitions];
  await Promise.all(
    [0, 1].map(async () => {
      const client = await connect(databaseUrl, 'public');
      try {
        await client.query(`SET maintenance_work_mem = '512MB'`);
        await client.query(`SET max_parallel_maintenance_workers = 0`);
        for (let next = queue.shift(); next; next = queue.shift()) await client.query(next.create);
      } finally {
        await client.end();
      }
    }),
  );
}
