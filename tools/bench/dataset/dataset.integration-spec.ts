import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Baselines, BASELINE_QUESTIONS, chargedThriceOrOver500 } from './baselines.js';
import { ensureBenchDataset, type BenchDataset } from './load.js';
import { ensureParquet } from './parquet.js';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
const parameters = { profiles: 1500, events: 12_000, now: '2026-06-15T12:00:00.000Z', months: 12, seed: 11 };

describe('the bench data set', () => {
  const database = `boomerang_bench_t${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${SERVER_URL}/${database}`;
  const parquetRoot = join(tmpdir(), `boomerang-bench-t${randomBytes(4).toString('hex')}`);
  let sut: BenchDataset;
  let sql: pg.Client;

  beforeAll(async () => {
    sut = await ensureBenchDataset({ ...parameters, databaseUrl });
    sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(parquetRoot, { recursive: true, force: true });
  });

  const count = async (query: string, values: unknown[] = []) => Number((await sql.query<{ n: string }>(query, values)).rows[0]!.n);

  it('loads the rows asked for into the schemas the apps migrate, in monthly partitions', async () => {
    expect(sut).toMatchObject({ databaseUrl, reused: false, now: new Date(parameters.now), start: new Date('2025-06-15T12:00:00.000Z') });
    expect(await count(`SELECT count(*) AS n FROM events.event WHERE project_id = $1`, [sut.projectId])).toBe(parameters.events);
    expect(await count(`SELECT count(*) AS n FROM profiles.profile WHERE project_id = $1`, [sut.projectId])).toBe(parameters.profiles);
    const migrations = await sql.query<{ schema: string; n: string }>(
      `SELECT 'events' AS schema, count(*) AS n FROM events.migrations UNION ALL SELECT 'profiles', count(*) FROM profiles.migrations`,
    );
    expect(migrations.rows.map((row) => Number(row.n))).toEqual([expect.any(Number), expect.any(Number)]);
    expect(Math.min(...migrations.rows.map((row) => Number(row.n)))).toBeGreaterThan(5);
    expect(await count(`SELECT count(*) AS n FROM events.event_default`)).toBe(0);
    const months = await sql.query<{ partition: string }>(`SELECT DISTINCT tableoid::regclass::text AS partition FROM events.event ORDER BY 1`);
    expect(months.rows.map((row) => row.partition)).toEqual([
      'events.event_y2025m06',
      'events.event_y2025m07',
      'events.event_y2025m08',
      'events.event_y2025m09',
      'events.event_y2025m10',
      'events.event_y2025m11',
      'events.event_y2025m12',
      'events.event_y2026m01',
      'events.event_y2026m02',
      'events.event_y2026m03',
      'events.event_y2026m04',
      'events.event_y2026m05',
      'events.event_y2026m06',
    ]);
  });

  it('has the indexes and keys the migrations made, valid on every partition', async () => {
    const indexes = await sql.query<{ name: string }>(
      `SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE x.indrelid IN ('events.event'::regclass, 'events.event_message_id'::regclass) ORDER BY 1`,
    );
    expect(indexes.rows.map((row) => row.name)).toEqual([
      'event_message_id_pkey',
      'event_name_timeline',
      'event_pkey',
      'event_profile_name_timeline',
      'event_profile_timeline',
      'event_unlinked_anonymous',
      'event_unlinked_user',
    ]);
    expect(await count(`SELECT count(*) AS n FROM pg_index WHERE NOT indisvalid`)).toBe(0);
    const others = await sql.query<{ name: string }>(
      `SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE x.indrelid IN ('profiles.profile'::regclass, 'profiles.profile_identity'::regclass, 'events.profile_link'::regclass) ORDER BY 1`,
    );
    expect(others.rows.map((row) => row.name)).toEqual([
      'profile_anonymous_id',
      'profile_external_id_unique',
      'profile_identity_pkey',
      'profile_identity_profile',
      'profile_link_changes',
      'profile_link_pkey',
      'profile_link_profile',
      'profile_live_created',
      'profile_merged_into',
      'profile_pkey',
    ]);
    const perPartition = await sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_inherits i JOIN pg_index x ON x.indrelid = i.inhrelid WHERE i.inhparent = 'events.event'::regclass GROUP BY i.inhrelid`,
    );
    expect(new Set(perPartition.rows.map((row) => Number(row.n)))).toEqual(new Set([6]));
  });

  it('stores rows as the apps would: claimed messageIds, linked identities, known profiles', async () => {
    const project = [sut.projectId];
    expect(await count(`SELECT count(*) AS n FROM events.event e LEFT JOIN profiles.profile p ON p.id = e.profile_id WHERE e.project_id = $1 AND p.id IS NULL`, project)).toBe(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM events.event e LEFT JOIN events.event_message_id m ON m.project_id = e.project_id AND m.message_id = e.message_id AND m.event_id = e.id
         WHERE e.project_id = $1 AND m.event_id IS NULL`,
        project,
      ),
    ).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM events.event_message_id WHERE project_id = $1`, project)).toBe(parameters.events);
    // Each id an event carries is linked to that event's profile, in events (profile_link) and in profiles (profile_identity).
    for (const kind of ['user_id', 'anonymous_id']) {
      expect(
        await count(
          `SELECT count(*) AS n FROM events.event e
           LEFT JOIN events.profile_link l ON l.project_id = e.project_id AND l.kind = $2 AND l.value = e.${kind}
           LEFT JOIN profiles.profile_identity i ON i.project_id = e.project_id AND i.kind = $2 AND i.value = e.${kind}
           WHERE e.project_id = $1 AND e.${kind} IS NOT NULL AND (l.profile_id IS DISTINCT FROM e.profile_id OR i.profile_id IS DISTINCT FROM e.profile_id)`,
          [sut.projectId, kind],
        ),
      ).toBe(0);
    }
    expect(await count(`SELECT count(*) AS n FROM events.known_profile WHERE project_id = $1`, project)).toBe(parameters.profiles);
    expect(
      await count(`SELECT count(*) AS n FROM profiles.profile p WHERE project_id = $1 AND (email IS NOT NULL) <> EXISTS (SELECT 1 FROM profiles.profile_identity i WHERE i.profile_id = p.id AND i.kind = 'email')`, project),
    ).toBe(0);
    // A profile's first event is its signup; its last is its updated_at.
    expect(
      await count(
        `SELECT count(*) AS n FROM profiles.profile p JOIN (SELECT profile_id, min("timestamp") AS first_at, max("timestamp") AS last_at FROM events.event GROUP BY 1) e ON e.profile_id = p.id
         WHERE p.created_at <> e.first_at OR p.updated_at <> e.last_at`,
      ),
    ).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM profiles.profile_property WHERE project_id = $1 AND name IN ('plan', 'age', 'referrer')`, project)).toBe(3);
  });

  it('reuses the loaded rows for the same parameters, and reloads for --force or other parameters', async () => {
    const again = await ensureBenchDataset({ ...parameters, databaseUrl });
    expect(again).toMatchObject({ reused: true, loadedAt: sut.loadedAt, projectId: sut.projectId });
    const forced = await ensureBenchDataset({ ...parameters, databaseUrl, force: true });
    expect(forced.reused).toBe(false);
    expect(forced.loadedAt.getTime()).toBeGreaterThan(sut.loadedAt.getTime());
    const other = await ensureBenchDataset({ ...parameters, events: 9000, databaseUrl });
    expect(other.reused).toBe(false);
    expect(await count(`SELECT count(*) AS n FROM events.event`)).toBe(9000);
    sut = await ensureBenchDataset({ ...parameters, databaseUrl });
    expect(sut.reused).toBe(false);
    expect(await count(`SELECT count(*) AS n FROM events.event`)).toBe(parameters.events);
  }, 180_000);

  it('exports the same rows to Parquet once per load, and PostgreSQL and DuckDB agree on every baseline', async () => {
    const parquet = await ensureParquet(sut, { root: parquetRoot });
    expect(parquet.reused).toBe(false);
    expect(existsSync(parquet.profiles)).toBe(true);
    expect((await ensureParquet(sut, { root: parquetRoot })).reused).toBe(true);

    const baselines = await Baselines.open(sut, parquet);
    try {
      for (const question of BASELINE_QUESTIONS) {
        const result = await baselines.ask(question, { runs: 1 });
        expect(result.agree).toBe(true);
        expect(JSON.stringify(result.answers.postgres)).toMatch(/[1-9]/);
        expect(result.postgres.runs).toHaveLength(1);
      }
      const members = await sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT profile_id FROM events.event WHERE name = 'Charged' AND "timestamp" >= $1 GROUP BY 1
         HAVING count(*) >= 3 OR sum((properties ->> 'Amount')::numeric) > 500) q`,
        [new Date(sut.now.getTime() - 90 * 86_400_000)],
      );
      const right = await baselines.ask(chargedThriceOrOver500, { runs: 1, boomerang: async () => ({ members: Number(members.rows[0]!.n) }) });
      expect(right.agree).toBe(true);
      expect(right.boomerang?.runs).toHaveLength(1);
      const wrong = await baselines.ask(chargedThriceOrOver500, { runs: 1, boomerang: async () => ({ members: -1 }) });
      expect(wrong.agree).toBe(false);
    } finally {
      await baselines.close();
    }
  }, 120_000);
});
