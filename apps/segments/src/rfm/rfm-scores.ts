import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfmClassSql } from './rfm-classes.js';
import type { RfmQuintile, RfmQuintiles } from './rfm.model.js';

const DAY_MS = 86_400_000;

/** What one computation needs to know. */
export interface ScoringInput {
  readonly projectId: string;
  readonly leafId: string;
  readonly windowDays: number;
  readonly timeZone: string;
  readonly now: Date;
}

/** One profile's class as computed, against the family segment holding it. */
export interface ScoredMember {
  readonly profileId: string;
  readonly segmentId: string;
}

/**
 * The scoring SQL and the one writer of `rfm_score`. Scores are computed in one statement over
 * the purchase leaf's per-profile state (n, sum, last_at) into the transaction's temp table
 * `rfm_next`; the caller turns its difference with the family's members into transitions.
 */
@Injectable()
export class RfmScores {
  /**
   * Scores every purchaser of the window into `rfm_next`. A state whose oldest kept hit has left
   * the window (its timer not yet run) is summarised again from its kept hits, so the window is
   * exact at `now`. R, F and M are ntile(5) over the purchasers (R by days since the last
   * purchase, most recent highest), taken at the middle row of each group of equal values, so
   * equal customers share a score and never land in different classes (for distinct values it
   * is exactly ntile). One sort per measure.
   */
  async score(manager: EntityManager, input: ScoringInput): Promise<number> {
    const cutoffMs = input.now.getTime() - input.windowDays * DAY_MS;
    // Three sorts of every purchaser: kept in memory rather than spilled at a few hundred thousand.
    await manager.query(`SET LOCAL work_mem = '64MB'`);
    await manager.query(
      `CREATE TEMP TABLE rfm_next ON COMMIT DROP AS
       WITH purchases AS (
         SELECT s.profile_id,
                CASE WHEN s.times[1] <= $3 THEN (SELECT count(*)::int FROM unnest(s.times) AS t WHERE t > $3) ELSE s.n END AS frequency,
                CASE WHEN s.times[1] <= $3 THEN (SELECT coalesce(sum(h.v), 0) FROM unnest(s.times, s.vals) AS h(t, v) WHERE h.t > $3) ELSE s.sum END AS monetary,
                CASE WHEN s.times[1] <= $3 THEN (SELECT max(t) FROM unnest(s.times) AS t WHERE t > $3) ELSE s.last_at END AS last_at
         FROM leaf_state s
         JOIN known_profile kp ON kp.project_id = s.project_id AND kp.profile_id = s.profile_id AND kp.forgotten_at IS NULL
         WHERE s.project_id = $1 AND s.leaf_id = $2
       ), measured AS (
         SELECT profile_id, frequency, monetary,
                greatest(0, ($4::timestamptz AT TIME ZONE $5)::date - (to_timestamp(last_at / 1000.0) AT TIME ZONE $5)::date) AS recency_days
         FROM purchases WHERE frequency > 0
       ), ranked AS (
         -- Per measure, the rows a group of equal values spans: rank() is its first, count(*) up to its peers its last.
         SELECT *, count(*) OVER () AS total,
                (rank() OVER r_order + count(*) OVER r_order) / 2 AS r_row,
                (rank() OVER f_order + count(*) OVER f_order) / 2 AS f_row,
                (rank() OVER m_order + count(*) OVER m_order) / 2 AS m_row
         FROM measured
         WINDOW r_order AS (ORDER BY recency_days DESC), f_order AS (ORDER BY frequency), m_order AS (ORDER BY monetary)
       ), scored AS MATERIALIZED ( -- once per row: the class CASE below reads r and fm many times
         SELECT profile_id, recency_days, frequency, monetary,
                ${ntileAt('r_row', 'total')} AS r, ${ntileAt('f_row', 'total')} AS f, ${ntileAt('m_row', 'total')} AS m
         FROM ranked
       ), averaged AS (
         SELECT *, (f + m + 1) / 2 AS fm FROM scored
       ), classed AS (
         SELECT *, ${rfmClassSql('r', 'fm')} AS class FROM averaged
       )
       SELECT c.profile_id, c.recency_days, c.frequency, c.monetary, c.r, c.f, c.m, c.class, family.segment_id
       FROM classed c JOIN rfm_class_segment family ON family.project_id = $1 AND family.class = c.class`,
      [input.projectId, input.leafId, cutoffMs, input.now, input.timeZone],
    );
    await manager.query(`ANALYZE rfm_next`);
    const [row] = (await manager.query(`SELECT count(*)::int AS n FROM rfm_next`)) as { n: number }[];
    return row!.n;
  }

  /** Profiles whose class segment is new to them, and memberships of the family no longer computed. */
  async differences(manager: EntityManager, projectId: string): Promise<{ entered: ScoredMember[]; exited: ScoredMember[] }> {
    const entered = (await manager.query(
      `SELECT n.profile_id, n.segment_id FROM rfm_next n
       WHERE NOT EXISTS (SELECT 1 FROM segment_membership m WHERE m.segment_id = n.segment_id AND m.profile_id = n.profile_id)
       ORDER BY n.profile_id`,
    )) as { profile_id: string; segment_id: string }[];
    const exited = (await manager.query(
      `SELECT m.profile_id, m.segment_id FROM segment_membership m
       JOIN rfm_class_segment family ON family.segment_id = m.segment_id AND family.project_id = $1
       WHERE m.project_id = $1 AND NOT EXISTS (SELECT 1 FROM rfm_next n WHERE n.segment_id = m.segment_id AND n.profile_id = m.profile_id)
       ORDER BY m.profile_id`,
      [projectId],
    )) as { profile_id: string; segment_id: string }[];
    const member = (row: { profile_id: string; segment_id: string }) => ({ profileId: row.profile_id, segmentId: row.segment_id });
    return { entered: entered.map(member), exited: exited.map(member) };
  }

  /** Writes the computed scores (after the memberships they hang on: exits took their old rows along). */
  async save(manager: EntityManager, projectId: string): Promise<void> {
    await manager.query(
      `INSERT INTO rfm_score (project_id, profile_id, segment_id, class, recency_days, frequency, monetary, r, f, m)
       SELECT $1, profile_id, segment_id, class, recency_days, frequency, monetary, r, f, m FROM rfm_next
       ON CONFLICT (project_id, profile_id) DO UPDATE SET
         segment_id = EXCLUDED.segment_id, class = EXCLUDED.class, recency_days = EXCLUDED.recency_days,
         frequency = EXCLUDED.frequency, monetary = EXCLUDED.monetary, r = EXCLUDED.r, f = EXCLUDED.f, m = EXCLUDED.m`,
      [projectId],
    );
  }

  /** Where each score began and ended in `rfm_next`. */
  async quintiles(manager: EntityManager): Promise<RfmQuintiles> {
    const rows = (await manager.query(
      `SELECT 'recencyDays' AS measure, r AS score, min(recency_days)::float8 AS min, max(recency_days)::float8 AS max, count(*)::int AS profiles FROM rfm_next GROUP BY r
       UNION ALL SELECT 'frequency', f, min(frequency), max(frequency), count(*)::int FROM rfm_next GROUP BY f
       UNION ALL SELECT 'monetary', m, min(monetary), max(monetary), count(*)::int FROM rfm_next GROUP BY m
       ORDER BY 1, 2`,
    )) as (RfmQuintile & { measure: keyof RfmQuintiles })[];
    const quintiles: RfmQuintiles = { recencyDays: [], frequency: [], monetary: [] };
    for (const { measure, ...quintile } of rows) quintiles[measure].push({ ...quintile, min: Number(quintile.min), max: Number(quintile.max) });
    return quintiles;
  }

  async done(manager: EntityManager): Promise<void> {
    await manager.query(`DROP TABLE rfm_next`);
  }
}

/**
 * What `ntile(5)` gives the row at 1-based position `row` of `total` rows: the first `total % 5`
 * buckets hold one row more (PostgreSQL's ntile), as SQL over integer expressions.
 */
export function ntileAt(row: string, total: string): string {
  const big = `(${total} / 5 + 1)`;
  const bigRows = `(${total} % 5) * ${big}`;
  return `(CASE WHEN ${row} <= ${bigRows} THEN (${row} - 1) / ${big} + 1 ELSE (${total} % 5) + (${row} - 1 - ${bigRows}) / (${total} / 5) + 1 END)::int`;
}
