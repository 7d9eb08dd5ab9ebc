import { epochMsSql, hitSpecSql, MAX_KEPT_HITS, timestampSql } from '@boomerang/audience';
import type { LeafToBackfill } from './leaf-hits-backfill.request.js';

/** One row of a leaf's query: a profile's summary of older hits (`eventId` null), or one recent hit. */
export interface LeafHitsRecord {
  profileId: string;
  eventId: string | null;
  n: number;
  vn: number;
  sum: number;
  min: number | null;
  max: number | null;
  first: number;
  last: number;
  /** Kept hits, newest first (leaves that keep hits; summaries only). */
  times?: number[];
  vals?: (number | null)[];
}

/** A sum of float8 values this large or larger could overflow float8 (an SQL error): those are summed as numeric. */
const HUGE = '1e290::float8';
/** Where a double rounds to Infinity (halfway from the largest double to 2^1024): a larger sum is ±Infinity, as in JavaScript. */
const INFINITY_FROM = ((1n << 1024n) - (1n << 970n)).toString();

/**
 * The one grouped query of a leaf over the project's events (the `event` parent: every partition),
 * walking the (project_id, name, "timestamp") index: hits of linked events, grouped by profile and,
 * for events whose id is at or after `recentFromId`, by event (so each of those is a row of its own).
 * The hits are read in a subquery kept apart (OFFSET 0), so each hit's value is computed once,
 * not once per aggregate that reads it.
 */
export function leafHitsQuery(projectId: string, leaf: LeafToBackfill, recentFromId: string): { sql: string; params: unknown[] } {
  const params: unknown[] = [projectId, recentFromId];
  const { where, value } = hitSpecSql(leaf.spec, 'e', params);
  const since = leaf.sinceMs === undefined ? '' : ` AND e."timestamp" >= ${timestampSql(leaf.sinceMs, params)}`;
  const kept = leaf.spec.keepsHits
    ? `,
      (array_agg(${epochMsSql('h.ts')} ORDER BY h.ts DESC, h.id DESC))[1:${MAX_KEPT_HITS}] AS times,
      (array_agg(h.v ORDER BY h.ts DESC, h.id DESC))[1:${MAX_KEPT_HITS}] AS vals`
    : '';
  // Every aggregate runs over every row whichever CASE branch is taken: the float8 sum skips the huge values.
  const smallSum = `coalesce(sum(h.v) FILTER (WHERE abs(h.v) < ${HUGE}), 0)`;
  const hugeSum = `(${smallSum}::numeric + sum(h.v::numeric) FILTER (WHERE abs(h.v) >= ${HUGE}))`;
  const sql = `
    SELECT h.profile_id AS "profileId", h.event_id AS "eventId", count(*)::int AS n, count(h.v)::int AS vn,
      (CASE WHEN count(*) FILTER (WHERE abs(h.v) >= ${HUGE}) = 0 THEN ${smallSum}
        WHEN ${hugeSum} >= ${INFINITY_FROM} THEN 'Infinity' WHEN ${hugeSum} <= -${INFINITY_FROM} THEN '-Infinity'
        ELSE (${hugeSum})::float8 END) AS sum,
      min(h.v) AS min, max(h.v) AS max, ${epochMsSql('min(h.ts)')} AS first, ${epochMsSql('max(h.ts)')} AS last${kept}
    FROM (
      SELECT e.profile_id, e.id, e."timestamp" AS ts, ${value} AS v, (CASE WHEN e.id >= $2::uuid THEN e.id END) AS event_id
      FROM event e
      WHERE e.project_id = $1::uuid AND e.profile_id IS NOT NULL AND ${where}${since}
      OFFSET 0
    ) AS h
    GROUP BY h.profile_id, h.event_id`;
  return { sql, params };
}

/** The smallest UUIDv7 minted at `ms` or later: event ids below it were minted before. */
export function firstEventIdAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
