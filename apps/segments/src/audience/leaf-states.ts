import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { runPipelinedCopies } from '@boomerang/platform/persistence';
import { emptyLeafState, type LeafState } from '@boomerang/audience';

/** A profile's state for one leaf, with the verdict last written for it. */
export interface StoredLeafState {
  readonly leafId: string;
  readonly profileId: string;
  readonly state: LeafState;
  matched: boolean;
  recheckAt: number | null;
}

/** From this many states on, a write goes through COPY. */
const COPY_FROM = 1000;
const UNIQUE_VIOLATION = '23505';
const STATE_COLUMNS = 'project_id, leaf_id, profile_id, n, vn, sum, min, max, first_at, last_at, times, vals, matched, recheck_at';

const stateKey = (leafId: string, profileId: string) => `${leafId}:${profileId}`;

/** The one reader and writer of `leaf_state` rows. */
@Injectable()
export class LeafStates {
  /** The states of these (leaf, profile) pairs that exist, locked for update, keyed `leaf:profile`. */
  async lock(manager: EntityManager, projectId: string, pairs: readonly { leafId: string; profileId: string }[]): Promise<Map<string, StoredLeafState>> {
    if (pairs.length === 0) return new Map();
    const rows = (await manager.query(
      `SELECT s.* FROM leaf_state s
       JOIN unnest($2::uuid[], $3::uuid[]) AS wanted(leaf_id, profile_id) USING (leaf_id, profile_id)
       WHERE s.project_id = $1
       ORDER BY s.leaf_id, s.profile_id
       FOR UPDATE OF s`,
      [projectId, pairs.map((pair) => pair.leafId), pairs.map((pair) => pair.profileId)],
    )) as StateRow[];
    return new Map(rows.map((row) => [stateKey(row.leaf_id, row.profile_id), fromRow(row)]));
  }

  /** Every state of these profiles for these leaves (read only), keyed `leaf:profile`. */
  async read(manager: EntityManager, projectId: string, leafIds: readonly string[], profileIds: readonly string[]): Promise<Map<string, StoredLeafState>> {
    if (leafIds.length === 0 || profileIds.length === 0) return new Map();
    const rows = (await manager.query(
      `SELECT * FROM leaf_state WHERE project_id = $1 AND leaf_id = ANY($2::uuid[]) AND profile_id = ANY($3::uuid[])`,
      [projectId, leafIds, profileIds],
    )) as StateRow[];
    return new Map(rows.map((row) => [stateKey(row.leaf_id, row.profile_id), fromRow(row)]));
  }

  /** Writes states (insert or replace), a few thousand per statement. */
  async save(manager: EntityManager, projectId: string, states: readonly StoredLeafState[]): Promise<void> {
    for (let start = 0; start < states.length; start += 2000) {
      const chunk = states.slice(start, start + 2000);
      await manager.query(
        `INSERT INTO leaf_state (project_id, leaf_id, profile_id, n, vn, sum, min, max, first_at, last_at, times, vals, matched, recheck_at)
         SELECT $1, r.leaf_id, r.profile_id, r.n, r.vn, r.sum, r.min, r.max, r.first_at, r.last_at, r.times::float8[], r.vals::float8[], r.matched, r.recheck_at
         FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::int[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::text[], $12::text[], $13::bool[], $14::timestamptz[])
           AS r(leaf_id, profile_id, n, vn, sum, min, max, first_at, last_at, times, vals, matched, recheck_at)
         ON CONFLICT (leaf_id, profile_id) DO UPDATE SET
           n = EXCLUDED.n, vn = EXCLUDED.vn, sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max,
           first_at = EXCLUDED.first_at, last_at = EXCLUDED.last_at, times = EXCLUDED.times, vals = EXCLUDED.vals,
           matched = EXCLUDED.matched, recheck_at = EXCLUDED.recheck_at`,
        [projectId, ...columns(chunk)],
      );
    }
  }

  /**
   * Inserts states that did not exist when the caller looked; returns those another transaction
   * inserted meanwhile (the caller merges into them rather than replacing them).
   */
  async insertAbsent(manager: EntityManager, projectId: string, states: readonly StoredLeafState[]): Promise<StoredLeafState[]> {
    if (states.length >= COPY_FROM) return this.copyAbsent(manager, projectId, states);
    const inserted = new Set<string>();
    for (let start = 0; start < states.length; start += 2000) {
      const chunk = states.slice(start, start + 2000);
      const rows = (await manager.query(
        `INSERT INTO leaf_state (project_id, leaf_id, profile_id, n, vn, sum, min, max, first_at, last_at, times, vals, matched, recheck_at)
         SELECT $1, r.leaf_id, r.profile_id, r.n, r.vn, r.sum, r.min, r.max, r.first_at, r.last_at, r.times::float8[], r.vals::float8[], r.matched, r.recheck_at
         FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::int[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::text[], $12::text[], $13::bool[], $14::timestamptz[])
           AS r(leaf_id, profile_id, n, vn, sum, min, max, first_at, last_at, times, vals, matched, recheck_at)
         ON CONFLICT (leaf_id, profile_id) DO NOTHING
         RETURNING leaf_id, profile_id`,
        [projectId, ...columns(chunk)],
      )) as { leaf_id: string; profile_id: string }[];
      for (const row of rows) inserted.add(stateKey(row.leaf_id, row.profile_id));
    }
    return states.filter((state) => !inserted.has(stateKey(state.leafId, state.profileId)));
  }

  /**
   * Many states (a backfill): COPYed straight into `leaf_state`. When another transaction made
   * one of them meanwhile (the live path while a leaf backfills), that COPY fails on the key and
   * is undone; the states then go through a temporary table and are inserted where absent.
   */
  private async copyAbsent(manager: EntityManager, projectId: string, states: readonly StoredLeafState[]): Promise<StoredLeafState[]> {
    const client = (manager.queryRunner as unknown as { databaseConnection: pg.PoolClient }).databaseConnection;
    const text = (value: number | null) => (value === null ? '\\N' : String(value));
    const lines = states.map((s) =>
      [
        projectId,
        s.leafId,
        s.profileId,
        s.state.n,
        s.state.vn,
        s.state.sum,
        text(s.state.min),
        text(s.state.max),
        text(s.state.first),
        text(s.state.last),
        floatArray(s.state.times),
        floatArray(s.state.vals),
        s.matched ? 't' : 'f',
        s.recheckAt === null ? '\\N' : new Date(s.recheckAt).toISOString(),
      ].join('\t'),
    );
    const copy = (table: string) => ({ statement: `COPY ${table} (${STATE_COLUMNS}) FROM STDIN`, lines });
    await manager.query(`SAVEPOINT leaf_state_copy`);
    try {
      await runPipelinedCopies(client, [copy('leaf_state')]);
      await manager.query(`RELEASE SAVEPOINT leaf_state_copy`);
      return [];
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      await manager.query(`ROLLBACK TO SAVEPOINT leaf_state_copy`);
    }
    await manager.query(`CREATE TEMP TABLE IF NOT EXISTS leaf_state_incoming (LIKE leaf_state INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
    await manager.query(`TRUNCATE leaf_state_incoming`);
    await runPipelinedCopies(client, [copy('leaf_state_incoming')]);
    const rows = (await manager.query(
      `INSERT INTO leaf_state SELECT * FROM leaf_state_incoming ON CONFLICT (leaf_id, profile_id) DO NOTHING RETURNING leaf_id, profile_id`,
    )) as { leaf_id: string; profile_id: string }[];
    if (rows.length === states.length) return [];
    const inserted = new Set(rows.map((row) => stateKey(row.leaf_id, row.profile_id)));
    return states.filter((state) => !inserted.has(stateKey(state.leafId, state.profileId)));
  }

  async remove(manager: EntityManager, projectId: string, leafIds: readonly string[], profileIds: readonly string[]): Promise<void> {
    if (leafIds.length === 0 || profileIds.length === 0) return;
    await manager.query(`DELETE FROM leaf_state WHERE project_id = $1 AND leaf_id = ANY($2::uuid[]) AND profile_id = ANY($3::uuid[])`, [projectId, leafIds, profileIds]);
  }
}

export { stateKey };

export function newStoredState(leafId: string, profileId: string, matched: boolean): StoredLeafState {
  return { leafId, profileId, state: emptyLeafState(), matched, recheckAt: null };
}

function columns(chunk: readonly StoredLeafState[]): unknown[] {
  return [
    chunk.map((s) => s.leafId),
    chunk.map((s) => s.profileId),
    chunk.map((s) => s.state.n),
    chunk.map((s) => s.state.vn),
    chunk.map((s) => s.state.sum),
    chunk.map((s) => s.state.min),
    chunk.map((s) => s.state.max),
    chunk.map((s) => s.state.first),
    chunk.map((s) => s.state.last),
    chunk.map((s) => floatArray(s.state.times)),
    chunk.map((s) => floatArray(s.state.vals)),
    chunk.map((s) => s.matched),
    chunk.map((s) => (s.recheckAt === null ? null : new Date(s.recheckAt))),
  ];
}

/** A PostgreSQL array literal of float8 (NULL for null). */
function floatArray(values: readonly (number | null)[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : String(value))).join(',')}}`;
}

interface StateRow {
  leaf_id: string;
  profile_id: string;
  n: number;
  vn: number;
  sum: number;
  min: number | null;
  max: number | null;
  first_at: number | null;
  last_at: number | null;
  times: number[];
  vals: (number | null)[];
  matched: boolean;
  recheck_at: Date | null;
}

function fromRow(row: StateRow): StoredLeafState {
  return {
    leafId: row.leaf_id,
    profileId: row.profile_id,
    state: {
      n: row.n,
      vn: row.vn,
      sum: Number(row.sum),
      min: row.min === null ? null : Number(row.min),
      max: row.max === null ? null : Number(row.max),
      first: row.first_at === null ? null : Number(row.first_at),
      last: row.last_at === null ? null : Number(row.last_at),
      times: (row.times ?? []).map(Number),
      vals: (row.vals ?? []).map((value) => (value === null ? null : Number(value))),
    },
    matched: row.matched,
    recheckAt: row.recheck_at ? new Date(row.recheck_at).getTime() : null,
  };
}
