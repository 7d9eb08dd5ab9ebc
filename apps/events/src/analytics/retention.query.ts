import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { AnalyticsFilters, breakdownGroups, type AnalyticsScope, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { retentionGrid, retentionMatrix, type RetentionCohortAnswer, type RetentionGrid, type RetentionMode, type RetentionQuestion } from './retention.js';
import { analyticsSession } from './analytics-session.js';

/** Questions of at most this many intervals count from a bit mask per member (a bigint's 63 bits). */
const MAX_MASKED_INTERVALS = 63;

export interface RetentionAnswer {
  timeZone: string;
  cohorts: RetentionCohortAnswer[];
  /** One matrix per breakdown value when a breakdown was asked, largest first. */
  breakdown: (BreakdownGroup & { cohorts: RetentionCohortAnswer[] })[] | null;
}

/**
 * Retention answered from the rollups only: cohorts from `profile_first_seen` (or
 * `profile_first_event` for a start event) by their index on the grid, returns from `profile_day`
 * (or `profile_day_event`) of those profiles in the window, each (profile, interval) once; for any
 * event both ways, cohort and returns from the members' `profile_days` rows alone. The
 * filter narrows the cohorts (segment, profile properties); event conditions move both sides to
 * the raw events (AnalyticsScope).
 */
@Injectable()
export class RetentionQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
    private readonly clock: Clock,
  ) {}

  async retention(projectId: string, question: RetentionQuestion): Promise<RetentionAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const grid = retentionGrid(question, timeZone);
    const mode = question.mode ?? 'CLASSIC';
    const today = DateTime.fromJSDate(this.clock.now(), { zone: timeZone }).startOf('day');
    const end = grid.start(grid.cohorts - 1 + question.intervals);
    const params: unknown[] = [projectId, grid.from.toISODate(), grid.to.toISODate(), question.intervals];
    const scope = await this.filters.scope(projectId, settings, question.filter, question.breakdown, params);
    // Any event starts and returns: each cohort member's row of profile_days holds all its active
    // days, so the cohort's rows are read once (not every profile-day in the window).
    const profileDays = !question.startEvent && !question.returnEvent ? scope.profileDays() : null;
    const sql = profileDays ? this.fromProfileDays(grid, mode, question.intervals, profileDays, scope, params) : this.fromDays(question, grid, mode, end, scope, params);
    const rows = await this.dataSource.transaction(async (manager) => {
      // The profile_days path's (cohort, interval) groups are few: with 64 MB they are hashed, not sorted on disk.
      await analyticsSession(manager, { workMem: profileDays !== null });
      return (await manager.query(sql, params)) as { g: string | null; other: boolean; c: number; k: number; profiles: number }[];
    });
    const matrix = (part: readonly { c: number; k: number; profiles: number }[]) => {
      const sizes = new Map<number, number>();
      for (const row of part) if (row.k === -1) sizes.set(row.c, (sizes.get(row.c) ?? 0) + row.profiles);
      return retentionMatrix(
        grid,
        question.intervals,
        mode,
        [...sizes].map(([c, profiles]) => ({ c, profiles })),
        part.filter((row) => row.k !== -1),
        today,
      );
    };
    return {
      timeZone,
      cohorts: matrix(rows),
      breakdown: scope.breakdown ? breakdownGroups(rows, (row) => row.k === -1).map(({ group, rows: part }) => ({ ...group, cohorts: matrix(part) })) : null,
    };
  }

  /**
   * Any event both ways: one row per cohort member in `profile_days`, its sorted days unnested,
   * each (member, interval) counted at the first of its days in that interval (CLASSIC: the day
   * before it is in an earlier interval) or, UNBOUNDED, the member counted once at the last
   * interval it was back in (the day after it is past the intervals asked). Nothing is grouped per
   * member and no subquery runs per row, so PostgreSQL can spread the scan over parallel workers.
   * Every member is back in interval 0 (its first day), so a cohort's size is its count there
   * (CLASSIC) or the sum of its last intervals (UNBOUNDED).
   */
  private fromProfileDays(grid: RetentionGrid, mode: RetentionMode, intervals: number, profileDays: string, scope: AnalyticsScope, params: unknown[]): string {
    const cohortIndex = grid.indexSql('f.days[1]', params);
    const k = (day: string) => `(${grid.indexSql(day, params)} - h.c)`;
    const counted = mode === 'CLASSIC' ? `${k('a.day')} BETWEEN 0 AND $4::int - 1 AND (a.i = 1 OR ${k('h.days[a.i - 1]')} < ${k('a.day')})` : `${k('a.day')} BETWEEN 0 AND $4::int - 1 AND (a.i = cardinality(h.days) OR ${k('h.days[a.i + 1]')} >= $4::int)`;
    return `WITH counted AS (
        SELECT h.g, h.c, ${k('a.day')} AS k, count(*)::int AS profiles
        FROM (
          SELECT ${scope.groupOf('f.profile_id', 'NULL::text')} AS g, ${cohortIndex} AS c, f.days
          FROM ${profileDays} f WHERE f.days[1] >= $2::date AND f.days[1] < $3::date AND ${scope.profileIn('f.profile_id')}
        ) h CROSS JOIN LATERAL unnest(h.days) WITH ORDINALITY a (day, i)
        WHERE ${counted}
        GROUP BY 1, 2, 3
      ), sized AS (
        SELECT g, c, sum(profiles)::int AS profiles FROM counted${mode === 'CLASSIC' ? ' WHERE k = 0' : ''} GROUP BY g, c
      )
      SELECT x.g, r.other, x.c, x.k, x.profiles
      FROM (SELECT g, c, k, profiles FROM counted UNION ALL SELECT g, c, -1, profiles FROM sized) x
      JOIN ${scope.groupRanks('sized', 'sum(profiles)')} r ON r.g IS NOT DISTINCT FROM x.g`;
  }

  /**
   * Cohorts from `profile_first_seen` / `profile_first_event`, returns from the per-day rows of the
   * window; up to 63 intervals as one row per returning member with a bit per interval it was back
   * in, counted per (cohort, mask) group.
   */
  private fromDays(question: RetentionQuestion, grid: RetentionGrid, mode: RetentionMode, end: DateTime, scope: AnalyticsScope, params: unknown[]): string {
    const dayIndex = grid.indexSql('a.day', params);
    const masked = question.intervals <= MAX_MASKED_INTERVALS;
    const cohortIndex = grid.indexSql('f.first_day', params);
    const cohort = `SELECT f.profile_id, ${cohortIndex} AS c, ${scope.groupOf('f.profile_id', 'f.value')} AS g
         FROM ${scope.firsts(question.startEvent ?? null)} f
         WHERE f.first_day >= $2::date AND f.first_day < $3::date AND ${scope.profileIn('f.profile_id')}`;
    const activity = scope.activity(question.returnEvent ?? null, { from: grid.from.toISODate()!, to: end.toISODate()! });
    const returned = masked
      ? `SELECT h.profile_id, h.g, h.c, bit_or(1::bigint << (${dayIndex} - h.c)) AS mask
         FROM cohort h JOIN ${activity} a ON a.profile_id = h.profile_id
         WHERE ${dayIndex} - h.c BETWEEN 0 AND $4::int - 1 GROUP BY h.profile_id, h.g, h.c`
      : `SELECT DISTINCT h.profile_id, h.g, h.c, ${dayIndex} - h.c AS k
         FROM cohort h JOIN ${activity} a ON a.profile_id = h.profile_id
         WHERE ${dayIndex} - h.c BETWEEN 0 AND $4::int - 1`;
    // (A member's first day is in its cohort's interval 0: every mask has a bit.)
    const masks = `(SELECT g, c, mask, count(*) AS profiles FROM returned GROUP BY g, c, mask) m`;
    const counted = masked
      ? mode === 'CLASSIC'
        ? `SELECT g, c, k, sum(profiles)::int AS profiles FROM ${masks} CROSS JOIN generate_series(0, $4::int - 1) k WHERE m.mask & (1::bigint << k) <> 0 GROUP BY g, c, k`
        : `SELECT g, c, (SELECT max(k) FROM generate_series(0, $4::int - 1) k WHERE m.mask & (1::bigint << k) <> 0) AS k, sum(profiles)::int AS profiles FROM ${masks} GROUP BY 1, 2, 3`
      : mode === 'CLASSIC'
        ? `SELECT g, c, k, count(*)::int AS profiles FROM returned GROUP BY g, c, k`
        : `SELECT g, c, k, count(*)::int AS profiles FROM (SELECT g, c, max(k) AS k FROM returned GROUP BY profile_id, g, c) last GROUP BY g, c, k`;
    return `WITH cohort AS MATERIALIZED (
           ${cohort}
         ), returned AS (
           ${returned}
         ), counted AS (
           ${counted} UNION ALL SELECT g, c, -1, count(*)::int FROM cohort GROUP BY g, c
         )
         SELECT counted.g, r.other, counted.c, counted.k, counted.profiles
         FROM counted JOIN ${scope.groupRanks('cohort')} r ON r.g IS NOT DISTINCT FROM counted.g`;
  }
}
