import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AnalyticsFilters, breakdownGroups, type AnalyticsBreakdown, type AnalyticsFilter, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';
import { retentionGrid, type RetentionGrid, type RetentionUnit } from './retention.js';

/** What SDKs and push feedback send when the app is removed. */
export const DEFAULT_UNINSTALL_EVENT = 'App Uninstalled';

export interface UninstallsQuestion {
  startEvent?: string | null;
  uninstallEvent?: string | null;
  interval: RetentionUnit;
  n?: number | null;
  /** Intervals since arrival the uninstalls are counted by (interval 0 included). */
  intervals: number;
  from: string;
  to: string;
  filter?: AnalyticsFilter | null;
  breakdown?: AnalyticsBreakdown | null;
}

export interface UninstallCohortAnswer {
  start: string;
  size: number;
  /** Members who uninstalled on or after their first day (first uninstall counted). */
  uninstalled: number;
  /** uninstalled / size, percent. */
  percentage: number;
  /** Members whose first uninstall fell in interval k since their own arrival interval. */
  byInterval: number[];
  /** Median days from the first day to the first uninstall; null when none uninstalled. */
  medianDays: number | null;
  meanDays: number | null;
}

export interface UninstallsAnswer {
  timeZone: string;
  uninstallEvent: string;
  cohorts: UninstallCohortAnswer[];
  breakdown: (BreakdownGroup & { cohorts: UninstallCohortAnswer[] })[] | null;
}

interface Row {
  g: string | null;
  other: boolean;
  c: number;
  /** -1: the cohort's size; else the interval of the first uninstall. */
  k: number;
  /** Days to uninstall (one row per distinct value). */
  days: number | null;
  profiles: number;
}

/**
 * Uninstalls per cohort: of the profiles that arrived in each interval, who uninstalled
 * (`App Uninstalled`, first time, on or after arrival), when (interval since arrival) and after how
 * many days. Both ends come from the first-event rollups.
 */
@Injectable()
export class UninstallsQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
  ) {}

  async uninstalls(projectId: string, question: UninstallsQuestion): Promise<UninstallsAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const uninstallEvent = question.uninstallEvent ?? DEFAULT_UNINSTALL_EVENT;
    if (uninstallEvent.length === 0 || uninstallEvent.length > 200) throw new AnalyticsError(AnalyticsErrorCode.InvalidQuestion, 'input.uninstallEvent: must be an event name of 1 to 200 characters', 'input.uninstallEvent');
    const grid = retentionGrid(question, settings.timeZone);
    const params: unknown[] = [projectId, grid.from.toISODate(), grid.to.toISODate()];
    const scope = await this.filters.scope(projectId, settings, question.filter, question.breakdown, params);
    const cohortIndex = grid.indexSql('f.first_day', params);
    const uninstallIndex = grid.indexSql('u.first_day', params);
    const rows = (await this.dataSource.query(
      `WITH cohort AS MATERIALIZED (
         SELECT f.profile_id, f.first_day, ${cohortIndex} AS c, ${scope.groupOf('f.profile_id', 'f.value')} AS g
         FROM ${scope.firsts(question.startEvent ?? null)} f
         WHERE f.first_day >= $2::date AND f.first_day < $3::date AND ${scope.profileIn('f.profile_id')}
       ), gone AS (
         SELECT h.g, h.c, ${uninstallIndex} - h.c AS k, u.first_day - h.first_day AS days
         FROM cohort h JOIN ${scope.firsts(uninstallEvent)} u ON u.profile_id = h.profile_id AND u.first_day >= h.first_day
       ), counted AS (
         SELECT g, c, -1 AS k, NULL::int AS days, count(*)::int AS profiles FROM cohort GROUP BY g, c
         UNION ALL SELECT g, c, k, days, count(*)::int FROM gone GROUP BY g, c, k, days
       )
       SELECT counted.*, r.other FROM counted JOIN ${scope.groupRanks('cohort')} r ON r.g IS NOT DISTINCT FROM counted.g`,
      params,
    )) as Row[];
    const answer = (part: readonly Row[]) => uninstallCohorts(grid, question.intervals, part);
    return {
      timeZone: settings.timeZone,
      uninstallEvent,
      cohorts: answer(rows),
      breakdown: scope.breakdown ? breakdownGroups(rows, (row) => row.k === -1).map(({ group, rows: part }) => ({ ...group, cohorts: answer(part) })) : null,
    };
  }
}

function uninstallCohorts(grid: RetentionGrid, intervals: number, rows: readonly Row[]): UninstallCohortAnswer[] {
  return Array.from({ length: grid.cohorts }, (_, c) => {
    const mine = rows.filter((row) => row.c === c);
    const size = mine.filter((row) => row.k === -1).reduce((sum, row) => sum + row.profiles, 0);
    const gone = mine.filter((row) => row.k !== -1);
    const byInterval = new Array<number>(intervals).fill(0);
    for (const row of gone) if (row.k < intervals) byInterval[row.k]! += row.profiles;
    const days = gone.flatMap((row) => new Array<number>(row.profiles).fill(row.days!)).sort((a, b) => a - b);
    const uninstalled = days.length;
    const median = uninstalled === 0 ? null : uninstalled % 2 ? days[(uninstalled - 1) / 2]! : (days[uninstalled / 2 - 1]! + days[uninstalled / 2]!) / 2;
    return {
      start: (c === 0 ? grid.from : grid.start(c)).toISODate()!,
      size,
      uninstalled,
      percentage: size === 0 ? 0 : Math.round((10_000 * uninstalled) / size) / 100,
      byInterval,
      medianDays: median,
      meanDays: uninstalled === 0 ? null : Math.round((100 * days.reduce((sum, day) => sum + day, 0)) / uninstalled) / 100,
    };
  });
}
