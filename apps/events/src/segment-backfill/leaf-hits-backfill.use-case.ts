import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import type { LeafHitRow } from '@boomerang/audience';
import type { LeafHitsBackfillRequest } from './leaf-hits-backfill.request.js';
import { firstEventIdAt, leafHitsQuery, type LeafHitsRecord } from './leaf-hits.query.js';

/** Where the rows go, in order; `rows` resolves when the next ones may come (flow control). */
export interface LeafHitSink {
  rows(rows: readonly LeafHitRow[]): Promise<void>;
}

export interface LeafHitsBackfillResult {
  readonly rows: number;
  /** When the snapshot the rows were read in began (ISO). */
  readonly snapshotAt: string;
}

export class BackfillStoppedError extends Error {
  override name = 'BackfillStoppedError';
}

/** Rows per FETCH: summaries that keep hits carry up to 5,000 of them each. */
const FETCH_ROWS = 20000;
const FETCH_ROWS_KEEPING_HITS = 1000;
/** Memory for each query's hash table and sorts before they spill to disk. */
const WORK_MEM = '64MB';

/**
 * Reads the hits of a project's events for behaviour leaves, once, for segments: per leaf, one
 * grouped query in one REPEATABLE READ snapshot, read through a server-side cursor and handed to
 * the sink as rows (`LeafHitRow`): per profile the summary of its hits with older ids, and each
 * hit from `recentFromMs` on as its own row with the event's id.
 */
@Injectable()
export class LeafHitsBackfill {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(request: LeafHitsBackfillRequest, sink: LeafHitSink, signal?: AbortSignal): Promise<LeafHitsBackfillResult> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      // The snapshot is taken by this first statement, before clock_timestamp() is read: no event
      // committed after the time given is in it (rounded up to the millisecond).
      const [{ at }] = (await runner.query(`SELECT ceil(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS at`)) as [{ at: number }];
      await runner.query(`SET LOCAL work_mem = '${WORK_MEM}'`);
      // Compiling the conditions' long CASE expressions took PostgreSQL's JIT longer than running them.
      await runner.query(`SET LOCAL jit = off`);
      // A cursor is planned for its first rows unless told it will be read to the end.
      await runner.query(`SET LOCAL cursor_tuple_fraction = 1.0`);
      const recentFromId = firstEventIdAt(request.recentFromMs);
      let rows = 0;
      for (const [index, leaf] of request.leaves.entries()) {
        const multiStep = leaf.spec.steps.length > 1;
        const { sql, params } = leafHitsQuery(request.projectId, leaf, recentFromId);
        rows += await this.stream(runner, sql, params, leaf.spec.keepsHits ? FETCH_ROWS_KEEPING_HITS : FETCH_ROWS, signal, (record) => toRow(index, record, multiStep), sink);
      }
      await runner.query('COMMIT');
      return { rows, snapshotAt: new Date(at).toISOString() };
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async stream(
    runner: QueryRunner,
    sql: string,
    params: unknown[],
    fetchRows: number,
    signal: AbortSignal | undefined,
    toLeafRow: (record: LeafHitsRecord) => LeafHitRow,
    sink: LeafHitSink,
  ): Promise<number> {
    await runner.query(`DECLARE leaf_hits NO SCROLL CURSOR FOR ${sql}`, params);
    let count = 0;
    for (;;) {
      if (signal?.aborted) throw new BackfillStoppedError('events is shutting down; ask again');
      const records = (await runner.query(`FETCH ${fetchRows} FROM leaf_hits`)) as LeafHitsRecord[];
      if (records.length === 0) break;
      count += records.length;
      await sink.rows(records.map(toLeafRow));
    }
    await runner.query('CLOSE leaf_hits');
    return count;
  }
}

function toRow(leaf: number, record: LeafHitsRecord, multiStep: boolean): LeafHitRow {
  if (record.eventId !== null)
    return { kind: 'recent', leaf, profileId: record.profileId, eventId: record.eventId, time: record.first, value: record.min };
  const times = record.times?.reverse() ?? [];
  const vals = record.vals?.reverse() ?? [];
  // A sequence's values are step bitmasks: its summary has no numeric values (as addHit keeps it).
  if (multiStep) return { kind: 'summary', leaf, profileId: record.profileId, n: record.n, vn: 0, sum: 0, min: null, max: null, first: record.first, last: record.last, times, vals };
  return { kind: 'summary', leaf, profileId: record.profileId, n: record.n, vn: record.vn, sum: record.sum, min: record.min, max: record.max, first: record.first, last: record.last, times, vals };
}
