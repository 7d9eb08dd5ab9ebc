import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { CohortFormat, ImportIdentityKind } from './cohort-files.js';

export type SegmentImportStatusValue = 'pending' | 'running' | 'done' | 'failed';
export type UnmatchedReason = 'empty' | 'malformed' | 'unknown_identity' | 'profile_not_known';

export interface SegmentImportJob {
  readonly id: string;
  readonly projectId: string;
  readonly segmentId: string;
  readonly format: CohortFormat;
  readonly identityKind: ImportIdentityKind;
  readonly column: string | null;
  readonly mode: 'add' | 'replace';
  readonly sourceUrl: string | null;
  readonly status: SegmentImportStatusValue;
  readonly rowsRead: number;
  readonly matched: number;
  readonly unmatched: Record<UnmatchedReason, number>;
  readonly added: number;
  readonly removed: number;
  readonly error: string | null;
  readonly uploadExpiresAt: Date;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

export interface UnmatchedRow {
  readonly row: number;
  readonly value: string;
  readonly reason: UnmatchedReason;
  readonly detail: string | null;
}

/** What one batch of rows did to the job's counters. */
export interface BatchProgress {
  rowsRead: number;
  matched: number;
  unmatched: Record<UnmatchedReason, number>;
  added: number;
  removed: number;
}

export const emptyProgress = (): BatchProgress => ({
  rowsRead: 0,
  matched: 0,
  unmatched: { empty: 0, malformed: 0, unknown_identity: 0, profile_not_known: 0 },
  added: 0,
  removed: 0,
});

interface JobRow {
  id: string;
  project_id: string;
  segment_id: string;
  format: CohortFormat;
  identity_kind: ImportIdentityKind;
  column_name: string | null;
  mode: 'add' | 'replace';
  source_url: string | null;
  status: SegmentImportStatusValue;
  rows_read: string;
  matched: string;
  unmatched_empty: string;
  unmatched_malformed: string;
  unmatched_unknown: string;
  unmatched_not_known: string;
  added: string;
  removed: string;
  error: string | null;
  upload_expires_at: Date;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** TypeORM answers an UPDATE or DELETE with `[rows, affected]`. */
const affected = (result: unknown): number => (result as [unknown[], number])[1];

function jobFromRow(row: JobRow): SegmentImportJob {
  return {
    id: row.id,
    projectId: row.project_id,
    segmentId: row.segment_id,
    format: row.format,
    identityKind: row.identity_kind,
    column: row.column_name,
    mode: row.mode,
    sourceUrl: row.source_url,
    status: row.status,
    rowsRead: Number(row.rows_read),
    matched: Number(row.matched),
    unmatched: {
      empty: Number(row.unmatched_empty),
      malformed: Number(row.unmatched_malformed),
      unknown_identity: Number(row.unmatched_unknown),
      profile_not_known: Number(row.unmatched_not_known),
    },
    added: Number(row.added),
    removed: Number(row.removed),
    error: row.error,
    uploadExpiresAt: row.upload_expires_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** SQL for `segment_import`, its unmatched rows and the profiles a REPLACE import has seen. Every statement is scoped by project or by a job id read within one. */
@Injectable()
export class SegmentImports {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    manager: EntityManager,
    job: Pick<SegmentImportJob, 'id' | 'projectId' | 'segmentId' | 'format' | 'identityKind' | 'column' | 'mode' | 'sourceUrl' | 'status' | 'uploadExpiresAt' | 'createdAt'>,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO segment_import (id, project_id, segment_id, format, identity_kind, column_name, mode, source_url, status, upload_expires_at, created_at, started_at, heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $9 = 'running' THEN $11::timestamptz END, CASE WHEN $9 = 'running' THEN $11::timestamptz END)`,
      [job.id, job.projectId, job.segmentId, job.format, job.identityKind, job.column, job.mode, job.sourceUrl, job.status, job.uploadExpiresAt, job.createdAt],
    );
  }

  async find(projectId: string, id: string): Promise<SegmentImportJob | null> {
    const [row] = (await this.dataSource.query(`SELECT * FROM segment_import WHERE project_id = $1 AND id = $2`, [projectId, id])) as JobRow[];
    return row ? jobFromRow(row) : null;
  }

  /** By id alone: the upload route learns the project from the job, then checks the token against it. */
  async findForUpload(id: string): Promise<SegmentImportJob | null> {
    const [row] = (await this.dataSource.query(`SELECT * FROM segment_import WHERE id = $1`, [id])) as JobRow[];
    return row ? jobFromRow(row) : null;
  }

  /** PENDING → RUNNING, once: false when the job was started already (or another import of its segment runs). */
  async claim(id: string, now: Date): Promise<'claimed' | 'taken' | 'segment-busy'> {
    try {
      const result: unknown = await this.dataSource.query(
        `UPDATE segment_import SET status = 'running', started_at = $2, heartbeat_at = $2 WHERE id = $1 AND status = 'pending'`,
        [id, now],
      );
      return affected(result) ? 'claimed' : 'taken';
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return 'segment-busy';
      throw error;
    }
  }

  /** Adds a batch's counts (in the batch's transaction); false when the job is no longer running (failed by a sweep). */
  async progress(manager: EntityManager, id: string, progress: BatchProgress, kept: number, now: Date): Promise<boolean> {
    const result: unknown = await manager.query(
      `UPDATE segment_import SET rows_read = rows_read + $2, matched = matched + $3, unmatched_empty = unmatched_empty + $4,
         unmatched_malformed = unmatched_malformed + $5, unmatched_unknown = unmatched_unknown + $6, unmatched_not_known = unmatched_not_known + $7,
         added = added + $8, removed = removed + $9, unmatched_kept = unmatched_kept + $10, heartbeat_at = $11
       WHERE id = $1 AND status = 'running'`,
      [
        id,
        progress.rowsRead,
        progress.matched,
        progress.unmatched.empty,
        progress.unmatched.malformed,
        progress.unmatched.unknown_identity,
        progress.unmatched.profile_not_known,
        progress.added,
        progress.removed,
        kept,
        now,
      ],
    );
    return affected(result) > 0;
  }

  async keepUnmatched(manager: EntityManager, id: string, rows: readonly UnmatchedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO segment_import_unmatched (import_id, row_number, value, reason, detail)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
      [id, rows.map((row) => row.row), rows.map((row) => row.value), rows.map((row) => row.reason), rows.map((row) => row.detail)],
    );
  }

  async unmatched(projectId: string, id: string, first: number, after: number | null): Promise<UnmatchedRow[]> {
    const rows = (await this.dataSource.query(
      `SELECT u.row_number, u.value, u.reason, u.detail FROM segment_import_unmatched u JOIN segment_import i ON i.id = u.import_id
       WHERE i.project_id = $1 AND u.import_id = $2 AND u.row_number > $3 ORDER BY u.row_number LIMIT $4`,
      [projectId, id, after ?? 0, first],
    )) as { row_number: string; value: string; reason: UnmatchedReason; detail: string | null }[];
    return rows.map((row) => ({ row: Number(row.row_number), value: row.value, reason: row.reason, detail: row.detail }));
  }

  async heartbeat(ids: readonly string[], now: Date): Promise<void> {
    if (ids.length) await this.dataSource.query(`UPDATE segment_import SET heartbeat_at = $2 WHERE id = ANY($1::uuid[]) AND status = 'running'`, [ids, now]);
  }

  async rememberSeen(manager: EntityManager, id: string, profileIds: readonly string[]): Promise<void> {
    if (profileIds.length)
      await manager.query(`INSERT INTO segment_import_seen (import_id, profile_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [id, profileIds]);
  }

  /** Up to `limit` members of the segment the REPLACE import has not seen, in id order. */
  async unseenMembers(manager: EntityManager, job: SegmentImportJob, limit: number): Promise<string[]> {
    const rows = (await manager.query(
      `SELECT m.profile_id FROM segment_membership m
       WHERE m.project_id = $1 AND m.segment_id = $2 AND NOT EXISTS (SELECT 1 FROM segment_import_seen s WHERE s.import_id = $3 AND s.profile_id = m.profile_id)
       ORDER BY m.profile_id LIMIT $4`,
      [job.projectId, job.segmentId, job.id, limit],
    )) as { profile_id: string }[];
    return rows.map((row) => row.profile_id);
  }

  async finish(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    const result: unknown = await manager.query(`UPDATE segment_import SET status = 'done', finished_at = $2 WHERE id = $1 AND status = 'running'`, [id, now]);
    await manager.query(`DELETE FROM segment_import_seen WHERE import_id = $1`, [id]);
    return affected(result) > 0;
  }

  async fail(id: string, error: string, now: Date): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE segment_import SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1 AND status IN ('pending', 'running')`, [id, error, now]);
      await manager.query(`DELETE FROM segment_import_seen WHERE import_id = $1`, [id]);
    });
  }

  /**
   * Jobs no process runs any more (heartbeat older than `staleBefore`: the process died) and
   * uploads never made (URL expired) are failed with a message saying what to do.
   */
  async failAbandoned(staleBefore: Date, now: Date, messages: { interrupted: string; neverUploaded: string }): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const interrupted = (await manager.query(
        `UPDATE segment_import SET status = 'failed', finished_at = $2,
           error = format($3, rows_read, added)
         WHERE status = 'running' AND heartbeat_at < $1 RETURNING id`,
        [staleBefore, now, messages.interrupted],
      )) as [{ id: string }[], number];
      const expired = (await manager.query(
        `UPDATE segment_import SET status = 'failed', finished_at = $1, error = $2 WHERE status = 'pending' AND upload_expires_at < $1 RETURNING id`,
        [now, messages.neverUploaded],
      )) as [{ id: string }[], number];
      const ids = [...interrupted[0], ...expired[0]].map((row) => row.id);
      if (ids.length) await manager.query(`DELETE FROM segment_import_seen WHERE import_id = ANY($1::uuid[])`, [ids]);
      return ids.length;
    });
  }
}
