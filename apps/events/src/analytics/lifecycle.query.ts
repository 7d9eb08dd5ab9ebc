import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AnalyticsFilters, breakdownGroups, type AnalyticsBreakdown, type AnalyticsFilter, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore, type AnalyticsSettings } from './analytics-settings.js';
import { eventName, invalidQuestion, localRange } from './behaviour.js';
import { RetentionGrid } from './retention.js';
import { analyticsSession } from './analytics-session.js';

export type LifecycleInterval = 'DAY' | 'WEEK' | 'MONTH';
export type LifecycleState = 'NEW' | 'RETURNING' | 'RESURRECTING' | 'DORMANT';

export interface LifecycleQuestion {
  event?: string | null;
  interval: LifecycleInterval;
  from: string;
  to: string;
  filter?: AnalyticsFilter | null;
  breakdown?: AnalyticsBreakdown | null;
}

export interface LifecycleIntervalAnswer {
  start: string;
  new: number;
  returning: number;
  resurrecting: number;
  dormant: number;
}

export interface LifecycleAnswer {
  timeZone: string;
  intervals: LifecycleIntervalAnswer[];
  /** The same per breakdown group (profiles: those active in the chart), largest first; null without a breakdown. */
  breakdown: (BreakdownGroup & { intervals: LifecycleIntervalAnswer[] })[] | null;
}

interface Row {
  i: number;
  state: LifecycleState | 'ALL';
  profiles: number;
  g?: string | null;
  other?: boolean;
}

const MAX_LIFECYCLE_INTERVALS = 400;
/** Charts of at most this many intervals count from a bit mask per profile (a bigint: 63 bits, one for the interval before the first). */
const MAX_MASKED_INTERVALS = 62;

/**
 * Lifecycle per interval (local days from `from`, ISO weeks from the Monday of `from`'s week, calendar months from its month, in the project's time zone), as
 * PostHog and Mixpanel count it: a profile active in interval i is NEW when it was first seen in i
 * (its first event, or first of the chosen event), RETURNING when it was active in i − 1 too,
 * RESURRECTING otherwise; one active in i − 1 but not in i is DORMANT in i (the "one step from
 * churn" picture). From the rollups: `profile_day(_event)` for activity, `profile_first_seen` /
 * `profile_first_event` for the first interval; for any event, `profile_days` alone (one row per profile).
 */
@Injectable()
export class LifecycleQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
  ) {}

  async lifecycle(projectId: string, question: LifecycleQuestion): Promise<LifecycleAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const { sql, params, grid, counts, groupedCounts } = await this.statement(projectId, question, settings);
    const rows = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager, { workMem: true });
      return (await manager.query(`${sql} ${groupedCounts ?? counts}`, params)) as Row[];
    });
    const intervals = (part: readonly Row[]) => {
      const count = (i: number, state: LifecycleState) => part.filter((row) => row.i === i && row.state === state).reduce((sum, row) => sum + row.profiles, 0);
      return Array.from({ length: grid.cohorts }, (_, i) => ({
        start: grid.start(i).toISODate()!,
        new: count(i, 'NEW'),
        returning: count(i, 'RETURNING'),
        resurrecting: count(i, 'RESURRECTING'),
        dormant: count(i, 'DORMANT'),
      }));
    };
    const grouped = rows.map((row) => ({ ...row, g: row.g ?? null, other: row.other ?? false }));
    return {
      timeZone,
      intervals: intervals(rows),
      breakdown: groupedCounts ? breakdownGroups(grouped, (row) => row.i === -1).map(({ group, rows: part }) => ({ ...group, intervals: intervals(part) })) : null,
    };
  }

  /** The profiles in a state in the interval starting at the local date `start` (a lifecycle segment). */
  async profiles(projectId: string, question: LifecycleQuestion, state: LifecycleState, start: string): Promise<string[]> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { sql, params, grid, inState } = await this.statement(projectId, question, settings, 'input.lifecycle.question');
    const index = Array.from({ length: grid.cohorts }, (_, i) => grid.start(i).toISODate()).indexOf(start);
    if (index === -1) throw invalidQuestion('lifecycle.intervalStart', `must be the start of one of the question's intervals, not "${start}"`);
    const rows = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager, { workMem: true });
      return (await manager.query(`${sql} ${inState(`$${params.length + 1}::int`, `$${params.length + 2}::text`)} ORDER BY 1`, [...params, index, state])) as { profile_id: string }[];
    });
    return rows.map((row) => row.profile_id);
  }

  private async statement(projectId: string, question: LifecycleQuestion, settings: AnalyticsSettings, field = 'input') {
    const event = eventName(question.event, 'event');
    const range = localRange(question, settings.timeZone);
    const grid = new RetentionGrid(question.interval, 1, range.from, range.to);
    if (grid.cohorts > MAX_LIFECYCLE_INTERVALS) throw invalidQuestion('to', `makes ${grid.cohorts} intervals; at most ${MAX_LIFECYCLE_INTERVALS}`);
    const params: unknown[] = [projectId];
    const scope = await this.filters.scope(projectId, settings, question.filter, question.breakdown, params, field);
    // The per-day sources (bound only when used: every parameter must appear in the statement).
    const perDay = () => ({
      // Activity from the interval before the first one (to tell returning from resurrecting, and dormant in interval 0).
      activity: scope.activity(event, { from: grid.start(-1).toISODate()!, to: range.to.toISODate()! }),
      index: flooredIndexSql(grid, 'a.day', params),
      firstIndex: flooredIndexSql(grid, 'f.first_day', params),
      // Only profiles first seen inside the intervals can be NEW: a range of the first-seen index, hash-joined.
      firstIn: `SELECT f0.profile_id, f0.first_day FROM ${scope.firsts(event)} f0 WHERE f0.first_day >= $${params.push(grid.start(0).toISODate())}::date AND f0.first_day < $${params.push(range.to.toISODate())}::date`,
    });
    // With a breakdown: each active profile's group (its property, or the property on its first event: the acquisition source), the smaller groups folded.
    const groups = (activeProfiles: string) => {
      const firsts = scope.breakdown?.eventProperty ? ` LEFT JOIN ${scope.firsts(event)} f ON f.profile_id = p.profile_id` : '';
      return `, profiles_g AS MATERIALIZED (
          SELECT p.profile_id, ${scope.groupOf('p.profile_id', firsts ? 'f.value' : 'NULL::text')} AS g FROM (${activeProfiles}) p${firsts}
        ), folded AS (
          SELECT pg.profile_id, CASE WHEN r.other THEN NULL ELSE pg.g END AS g, r.other FROM profiles_g pg JOIN ${scope.groupRanks('profiles_g')} r ON r.g IS NOT DISTINCT FROM pg.g
        )`;
    };
    const groupSizes = `SELECT -1 AS i, 'ALL' AS state, count(*)::int AS profiles, g, other FROM folded GROUP BY g, other`;
    if (grid.cohorts <= MAX_MASKED_INTERVALS) {
      // One row per active profile: a bit per interval it was active in (bit i + 1 for interval i,
      // bit 0 the interval before the first), and the interval it was first seen in. Counting
      // groups profiles of the same (mask, first interval) first: a few thousand groups, not a row
      // per profile and interval, and no sort for a window function.
      const bit = (i: string) => `(1::bigint << (${i} + 1))`;
      const state = (i: string) => `CASE WHEN m.mask & ${bit(i)} <> 0 THEN CASE WHEN m.mask & ${bit(`${i} - 1`)} <> 0 THEN 'RETURNING' WHEN m.fi = ${i} THEN 'NEW' ELSE 'RESURRECTING' END
        WHEN m.mask & ${bit(`${i} - 1`)} <> 0 THEN 'DORMANT' END`;
      // Any event: each profile's row of profile_days (those active since the interval before the
      // first, and first seen before the end) gives its mask from its own array and its first day,
      // instead of grouping every profile-day in the chart by profile.
      const profileDays = event === null ? scope.profileDays({ firstTo: range.to.toISODate()!, lastFrom: grid.start(-1).toISODate()! }) : null;
      const { activity, index, firstIndex, firstIn } = profileDays ? { activity: '', index: '', firstIndex: '', firstIn: '' } : perDay();
      const sql = profileDays
        ? `WITH marked AS (
            SELECT p.profile_id, p.mask, CASE WHEN p.first_day >= $${params.push(grid.start(0).toISODate())}::date THEN ${flooredIndexSql(grid, 'p.first_day', params)} END AS fi FROM (
              SELECT f.profile_id, f.days[1] AS first_day, x.mask FROM ${profileDays} f
              CROSS JOIN LATERAL (
                SELECT bit_or(${bit(flooredIndexSql(grid, 'a.day', params))}) AS mask FROM unnest(f.days) a (day)
                WHERE a.day >= $${params.push(grid.start(-1).toISODate())}::date AND a.day < $${params.push(range.to.toISODate())}::date
              ) x
              WHERE x.mask IS NOT NULL AND ${scope.profileIn('f.profile_id')}
            ) p
          )`
        : `WITH first_in_range AS MATERIALIZED (${firstIn}),
        active AS (
          SELECT a.profile_id, bit_or(${bit(index)}) AS mask FROM ${activity} a WHERE ${scope.profileIn('a.profile_id')} GROUP BY a.profile_id
        ), marked AS (
          SELECT p.profile_id, p.mask, ${firstIndex} AS fi FROM active p LEFT JOIN first_in_range f ON f.profile_id = p.profile_id
        )`;
      const counts = `SELECT i, state, sum(profiles)::int AS profiles FROM (SELECT mask, fi, count(*) AS profiles FROM marked GROUP BY mask, fi) m
        CROSS JOIN generate_series(0, ${grid.cohorts - 1}) i CROSS JOIN LATERAL (SELECT ${state('i')} AS state) s WHERE s.state IS NOT NULL GROUP BY i, state`;
      const inState = (i: string, wanted: string) => `SELECT m.profile_id FROM marked m WHERE (${state(i)}) = ${wanted}`;
      const groupedCounts = scope.breakdown
        ? `${groups('SELECT profile_id FROM marked')}
          SELECT i, state, sum(profiles)::int AS profiles, g, other FROM (SELECT m.mask, m.fi, f.g, f.other, count(*) AS profiles FROM marked m JOIN folded f ON f.profile_id = m.profile_id GROUP BY 1, 2, 3, 4) m
          CROSS JOIN generate_series(0, ${grid.cohorts - 1}) i CROSS JOIN LATERAL (SELECT ${state('i')} AS state) s WHERE s.state IS NOT NULL GROUP BY i, state, g, other
          UNION ALL ${groupSizes}`
        : null;
      return { sql, params, grid, counts, inState, groupedCounts };
    }
    const { activity, index, firstIndex, firstIn } = perDay();
    const sql = `WITH first_in_range AS MATERIALIZED (${firstIn}),
      active AS (
        SELECT DISTINCT a.profile_id, ${index} AS i FROM ${activity} a WHERE ${scope.profileIn('a.profile_id')}
      ), marked AS (
        SELECT profile_id, i, lag(i) OVER w AS previous, lead(i) OVER w AS next FROM active WINDOW w AS (PARTITION BY profile_id ORDER BY i)
      ), states AS (
        SELECT m.profile_id, m.i,
          CASE WHEN m.previous = m.i - 1 THEN 'RETURNING' WHEN ${firstIndex} = m.i THEN 'NEW' ELSE 'RESURRECTING' END AS state
        FROM marked m LEFT JOIN first_in_range f ON f.profile_id = m.profile_id WHERE m.i >= 0
        UNION ALL
        SELECT profile_id, i + 1, 'DORMANT' FROM marked WHERE (next IS NULL OR next > i + 1) AND i + 1 < ${grid.cohorts}
      )`;
    const counts = `SELECT i, state, count(*)::int AS profiles FROM states GROUP BY i, state`;
    const inState = (i: string, wanted: string) => `SELECT profile_id FROM states WHERE i = ${i} AND state = ${wanted}`;
    const groupedCounts = scope.breakdown
      ? `${groups('SELECT DISTINCT profile_id FROM states')}
        SELECT s.i, s.state, count(*)::int AS profiles, f.g, f.other FROM states s JOIN folded f ON f.profile_id = s.profile_id GROUP BY 1, 2, 4, 5
        UNION ALL ${groupSizes}`
      : null;
    return { sql, params, grid, counts, inState, groupedCounts };
  }
}

/** The grid interval of a date expression, also for days before the grid's origin (weeks floored, not truncated toward zero). */
function flooredIndexSql(grid: RetentionGrid, day: string, params: unknown[]): string {
  if (grid.unit !== 'WEEK') return grid.indexSql(day, params);
  params.push(grid.origin.toISODate());
  return `floor((${day} - $${params.length}::date) / 7.0)::int`;
}
