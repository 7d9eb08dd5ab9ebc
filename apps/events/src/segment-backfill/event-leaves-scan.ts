import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { encodeLeafScanRows, EventRuleSchema, LEAF_SCAN_ROW_BYTES, leafScanSql, MAX_LEAF_HIT_CHUNK_BYTES, type EventRule, type LeafScanRow } from '@boomerang/audience';
import { ScanEventLeaves } from '@boomerang/contracts';
import type { Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { BackfillRequestError } from './leaf-hits-backfill.request.js';
import { BackfillStoppedError } from './leaf-hits-backfill.use-case.js';
import { StreamedResponder, type StreamedResult } from './streamed-responder.js';

/** Scans one instance runs at once (each holds a database connection); more wait their turn. */
const MAX_RUNNING_SCANS = 2;
/** Rows per chunk of the reply (20 bytes each), under NATS' payload limit. */
const ROWS_PER_CHUNK = Math.floor(MAX_LEAF_HIT_CHUNK_BYTES / LEAF_SCAN_ROW_BYTES);
/** The server is asked to have every chunk (a flush) after this many: core NATS has no flow control. */
const FLUSH_EVERY = 4;
/**
 * Most rows a scan reads as one statement run to its end (held in memory meanwhile, ~150 bytes a
 * row): PostgreSQL may read the events with parallel workers then, which it never does for a
 * cursor's query. A larger answer is read again through a cursor, in the same snapshot.
 */
const WHOLE_SCAN_ROWS = 250_000;

export interface EventLeavesScanRequest {
  readonly projectId: string;
  readonly atMs: number;
  readonly leaves: readonly EventRule[];
}

/** Reads and validates a ScanEventLeaves request; a BackfillRequestError names the first issues by path (`leaves[1].count.atLeast`). */
export function parseEventLeavesScanRequest(body: Uint8Array): EventLeavesScanRequest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new BackfillRequestError('request: must be JSON');
  }
  const parsed = ScanEventLeaves.request.extend({ leaves: ScanEventLeaves.request.shape.leaves.element.pipe(EventRuleSchema).array().min(1).max(30) }).safeParse(json);
  if (!parsed.success)
    throw new BackfillRequestError(
      parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.reduce<string>((path, key) => (typeof key === 'number' ? `${path}[${key}]` : `${path}${path ? '.' : ''}${String(key)}`), '') || 'request'}: ${issue.message}`)
        .join('; '),
    );
  return { projectId: parsed.data.projectId, atMs: Date.parse(parsed.data.at), leaves: parsed.data.leaves as EventRule[] };
}

/**
 * Which profiles meet a segment's new event leaves, in ONE grouped read of the project's events
 * (`leafScanSql` of @boomerang/audience: the hand-written "GROUP BY profile_id HAVING …" of the
 * question, every leaf's verdict a bit of a mask), handed on in chunks: read as one statement
 * (parallel workers may read the events) up to WHOLE_SCAN_ROWS rows, else through a cursor.
 */
@Injectable()
export class EventLeavesScan {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  /** Most rows read as one statement (WHOLE_SCAN_ROWS; smaller in specs of the cursor). */
  wholeScanRows = WHOLE_SCAN_ROWS;

  /** Streams the verdicts to `sink`; `cursor`: whether the answer was larger than `wholeScanRows`, so read again through a cursor. */
  async execute(
    request: EventLeavesScanRequest,
    sink: (rows: LeafScanRow[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<{ rows: number; snapshotAt: string; cursor: boolean }> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      // The snapshot is taken by this first statement: no event committed after the time read is in it.
      const [{ at }] = (await runner.query(`SELECT ceil(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS at`)) as [{ at: number }];
      await runner.query(`SET LOCAL work_mem = '64MB'`);
      // Compiling the conditions' CASE expressions took PostgreSQL's JIT longer than running them.
      await runner.query(`SET LOCAL jit = off`);
      await runner.query(`SET LOCAL cursor_tuple_fraction = 1.0`);
      const { sql, params } = leafScanSql(request.projectId, request.leaves, request.atMs);
      const started = performance.now();
      const toRows = (records: { profile_id: string; mask: number }[]) => records.map((record) => ({ profileId: record.profile_id, mask: record.mask }));
      const whole = (await runner.query(`${sql} LIMIT ${this.wholeScanRows + 1}`, params)) as { profile_id: string; mask: number }[];
      const wholeMs = performance.now() - started;
      let rows = 0;
      const cursor = whole.length > this.wholeScanRows;
      if (!cursor) {
        for (let at = 0; at < whole.length; at += ROWS_PER_CHUNK) {
          if (signal?.aborted) throw new BackfillStoppedError('events is shutting down; ask again');
          await sink(toRows(whole.slice(at, at + ROWS_PER_CHUNK)));
        }
        rows = whole.length;
      } else {
        whole.length = 0;
        await runner.query(`DECLARE leaf_scan NO SCROLL CURSOR FOR ${sql}`, params);
        for (;;) {
          if (signal?.aborted) throw new BackfillStoppedError('events is shutting down; ask again');
          const records = (await runner.query(`FETCH ${ROWS_PER_CHUNK} FROM leaf_scan`)) as { profile_id: string; mask: number }[];
          if (records.length === 0) break;
          rows += records.length;
          await sink(toRows(records));
        }
      }
      await runner.query('COMMIT');
      this.logger?.info(
        { projectId: request.projectId, leaves: request.leaves.length, rows, wholeMs: Math.round(wholeMs), cursor, totalMs: Math.round(performance.now() - started) },
        'leaf scan answered',
      );
      return { rows, snapshotAt: new Date(at).toISOString(), cursor };
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

/**
 * Answers ScanEventLeaves with a streamed reply: the scan's rows in binary chunks
 * (`encodeLeafScanRows`), then LeafBackfillDone (StreamedResponder).
 */
@Injectable()
export class ScanEventLeavesResponder extends StreamedResponder {
  constructor(
    private readonly scan: EventLeavesScan,
    @Inject(MESSAGING) messaging: Messaging,
    @Inject(LOGGER) logger: Logger,
  ) {
    super(ScanEventLeaves.name, MAX_RUNNING_SCANS, messaging, logger);
  }

  protected parse(data: Uint8Array): EventLeavesScanRequest {
    return parseEventLeavesScanRequest(data);
  }

  protected stream(request: EventLeavesScanRequest, reply: string, signal: AbortSignal): Promise<StreamedResult> {
    const { nc } = this.messaging;
    let chunks = 0;
    const scanned = this.scan.execute(
      request,
      async (rows) => {
        nc.publish(reply, encodeLeafScanRows(rows));
        if (++chunks % FLUSH_EVERY === 0) await nc.flush();
      },
      signal,
    );
    return scanned.then(({ rows, snapshotAt }) => ({ rows, snapshotAt }));
  }
}
