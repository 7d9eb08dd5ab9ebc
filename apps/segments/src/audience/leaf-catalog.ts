import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { hitSpecOf, matchesWithoutHits, type HitSpec, type Leaf, type Rule } from '@boomerang/audience';

/** A leaf as stored: shared by every segment of the project whose rules hold it. */
export interface StoredLeaf {
  readonly id: string;
  readonly leaf: Leaf;
  readonly status: 'backfilling' | 'ready';
  readonly matchesWithoutHits: boolean;
  /** Behaviour leaves: events minted from here on are counted live (and deduped until `dedupeUntilMs`). */
  readonly recentFromMs: number | null;
  readonly dedupeUntilMs: number | null;
  readonly spec: HitSpec | null;
}

/** A segment's current version, with the leaves its rules hold. */
export interface LiveSegment {
  readonly id: string;
  readonly version: number;
  readonly rule: Rule;
  readonly status: 'computing' | 'ready' | 'failed';
  readonly leafIds: readonly string[];
}

/** An unused leaf is dropped after a week (LeafCollector): touching it once an hour is plenty. */
const TOUCH_EVERY_MS = 3_600_000;

const LEAF_COLUMNS = `id, kind, key, definition, status, matches_without_hits,
  floor(extract(epoch FROM recent_from) * 1000)::float8 AS recent_from_ms,
  floor(extract(epoch FROM snapshot_at) * 1000)::float8 AS snapshot_ms`;

/** Live events older than this (by their UUIDv7 id) when a leaf is made are the backfill's to count. */
export const RECENT_MARGIN_MS = 60_000;

/**
 * The leaves of each project and the segments using them, read in the caller's transaction (a
 * few rows per project), so the live path always sees leaves and versions that committed. The
 * advisory locks order a segment's (re)computation against the live path: computations take the
 * project's lock exclusively, live batches and timers share it.
 */
@Injectable()
export class LeafCatalog {
  /** Definitions never change for an id: parse each once. */
  private readonly parsed = new Map<string, { leaf: Leaf; spec: HitSpec | null }>();

  async lockShared(manager: EntityManager, projectId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock_shared(hashtextextended('segments:' || $1, 0))`, [projectId]);
  }

  async lockExclusive(manager: EntityManager, projectId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('segments:' || $1, 0))`, [projectId]);
  }

  /** Every leaf of the project (estimates keep theirs current too), and the live segments with their current leaves. */
  async live(manager: EntityManager, projectId: string): Promise<{ leaves: Map<string, StoredLeaf>; segments: LiveSegment[] }> {
    const rows = (await manager.query(
      `SELECT s.id, s.version, s.status, v.rules, coalesce(array_agg(sl.leaf_id) FILTER (WHERE sl.leaf_id IS NOT NULL), '{}') AS leaf_ids
       FROM segment s
       JOIN segment_version v ON v.segment_id = s.id AND v.version = s.version
       LEFT JOIN segment_leaf sl ON sl.segment_id = s.id AND sl.version = s.version
       WHERE s.project_id = $1 AND s.kind = 'dynamic' AND s.archived_at IS NULL AND s.status <> 'failed'
       GROUP BY s.id, s.version, s.status, v.rules`,
      [projectId],
    )) as { id: string; version: number; status: LiveSegment['status']; rules: Rule; leaf_ids: string[] }[];
    const segments = rows.map((row) => ({ id: row.id, version: row.version, rule: row.rules, status: row.status, leafIds: row.leaf_ids }));
    const leafIds = (await manager.query(`SELECT id FROM audience_leaf WHERE project_id = $1`, [projectId])) as { id: string }[];
    return { leaves: await this.byIds(manager, projectId, leafIds.map((row) => row.id)), segments };
  }

  async byIds(manager: EntityManager, projectId: string, ids: readonly string[]): Promise<Map<string, StoredLeaf>> {
    if (ids.length === 0) return new Map();
    const rows = (await manager.query(`SELECT ${LEAF_COLUMNS} FROM audience_leaf WHERE project_id = $1 AND id = ANY($2::uuid[])`, [projectId, ids])) as LeafRow[];
    return new Map(rows.map((row) => [row.id, this.toStored(row)]));
  }

  /**
   * The stored leaves of `leaves` that exist, keyed by leaf key, touched (`last_used_at`) where
   * the last touch is older than TOUCH_EVERY_MS: an estimate over existing leaves writes nothing
   * most of the time, yet keeps them from the collector.
   */
  async existing(manager: EntityManager, projectId: string, leaves: readonly Leaf[]): Promise<Map<string, StoredLeaf>> {
    const keys = leaves.map((leaf) => leaf.key);
    const rows = (await manager.query(
      `WITH touched AS (
         UPDATE audience_leaf SET last_used_at = now()
         WHERE project_id = $1 AND key = ANY($2::text[]) AND last_used_at < now() - make_interval(secs => $3)
       )
       SELECT ${LEAF_COLUMNS} FROM audience_leaf WHERE project_id = $1 AND key = ANY($2::text[])`,
      [projectId, keys, TOUCH_EVERY_MS / 1000],
    )) as LeafRow[];
    return new Map(rows.map((row) => [row.key, this.toStored(row)]));
  }

  /**
   * The stored leaves for `leaves`, made where missing: behaviour leaves start `backfilling`
   * (events minted from `recent_from` on are counted live), the others `ready`.
   */
  async ensure(manager: EntityManager, projectId: string, leaves: readonly Leaf[], nowMs: number): Promise<StoredLeaf[]> {
    const stored: StoredLeaf[] = [];
    for (const leaf of leaves) {
      const behaviour = leaf.kind === 'event' || leaf.kind === 'sequence';
      const [row] = (await manager.query(
        `INSERT INTO audience_leaf (id, project_id, key, kind, definition, status, matches_without_hits, recent_from)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (project_id, key) DO UPDATE SET last_used_at = now()
         RETURNING ${LEAF_COLUMNS}`,
        [
          randomUUID(),
          projectId,
          leaf.key,
          leaf.kind,
          JSON.stringify(leaf.rule),
          behaviour || leaf.kind === 'profile' ? 'backfilling' : 'ready',
          behaviour ? matchesWithoutHits(leaf) : false,
          behaviour ? new Date(nowMs - RECENT_MARGIN_MS) : null,
        ],
      )) as LeafRow[];
      stored.push(this.toStored(row!));
    }
    return stored;
  }

  private toStored(row: LeafRow): StoredLeaf {
    let parsed = this.parsed.get(row.id);
    if (!parsed) {
      const leaf = { kind: row.kind, key: row.key, rule: row.definition } as Leaf;
      parsed = { leaf, spec: leaf.kind === 'event' || leaf.kind === 'sequence' ? hitSpecOf(leaf) : null };
      this.parsed.set(row.id, parsed);
    }
    return {
      id: row.id,
      leaf: parsed.leaf,
      spec: parsed.spec,
      status: row.status,
      matchesWithoutHits: row.matches_without_hits,
      recentFromMs: row.recent_from_ms === null ? null : Number(row.recent_from_ms),
      dedupeUntilMs: row.snapshot_ms === null ? null : Number(row.snapshot_ms) + RECENT_MARGIN_MS,
    };
  }
}

interface LeafRow {
  id: string;
  kind: Leaf['kind'];
  key: string;
  definition: never;
  status: StoredLeaf['status'];
  matches_without_hits: boolean;
  recent_from_ms: number | string | null;
  snapshot_ms: number | string | null;
}
