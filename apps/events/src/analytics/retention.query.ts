import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { AnalyticsFilters, breakdownGroups, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { retentionGrid, retentionMatrix, type RetentionCohortAnswer, type RetentionQuestion } from './retention.js';
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
    const dayIndex = grid.indexSql('a.day', params);
    // Up to 63 intervals: a bit per interval a member was back in (one row per member, not per
    // member and interval), then the members of each (cohort, mask) counted once per bit.
    const masked = question.intervals <= MAX_MASKED_INTERVALS;
    // Any event starts and returns: each cohort member's row of profile_days holds all its active
    // days, so the cohort's rows are read once (not every profile-day in the window) and each
    // member's mask comes from its own array.
    const profileDays = masked && !question.startEvent && !question.returnEvent ? scope.profileDays() : null;
    const cohortIndex = grid.indexSql(profileDays ? 'f.days[1]' : 'f.first_day', params);
    const cohort = profileDays
      ? `SELECT f.profile_id, ${cohortIndex} AS c, ${scope.groupOf('f.profile_id', 'NULL::text')} AS g, f.days
         FROM ${profileDays} f WHERE f.days[1] >= $2::date AND f.days[1] < $3::date AND ${scope.profileIn('f.profile_id')}`
      : `SELECT f.profile_id, ${cohortIndex} AS c, ${scope.groupOf('f.profile_id', 'f.value')} AS g
         FROM ${scope.firsts(question.startEvent ?? null)} f
         WHERE f.first_day >= $2::date AND f.first_day < $3::date AND ${scope.profileIn('f.profile_id')}`;
    const activity = profileDays ? '' : scope.activity(question.returnEvent ?? null, { from: grid.from.toISODate()!, to: end.toISODate()! });
    const returned = profileDays
      ? `SELECT h.profile_id, h.g, h.c, (SELECT bit_or(1::bigint << (${dayIndex} - h.c)) FROM unnest(h.days) a (day) WHERE ${dayIndex} - h.c BETWEEN 0 AND $4::int - 1) AS mask
         FROM cohort h`
      : masked
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
    const rows = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager);
      return (await manager.query(
        `WITH cohort AS MATERIALIZED (
           ${cohort}
         ), returned AS (
           ${returned}
         ), counted AS (
           ${counted} UNION ALL SELECT g, c, -1, count(*)::int FROM cohort GROUP BY g, c
         )
         SELECT counted.g, r.other, counted.c, counted.k, counted.profiles
         FROM counted JOIN ${scope.groupRanks('cohort')} r ON r.g IS NOT DISTINCT FROM counted.g`,
        params,
      )) as { g: string | null; other: boolean; c: number; k: number; profiles: number }[];
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
}
