import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { AnalyticsFilters, breakdownGroups, type AnalyticsBreakdown, type AnalyticsFilter, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';
import { retentionGrid } from './retention.js';
import { analyticsSession } from './analytics-session.js';

/** The days the seed's figures use (70 % gone within 3 days, 90 % within 30). */
export const DEFAULT_CHURN_DAYS = [1, 3, 7, 30];

export interface EarlyChurnQuestion {
  startEvent?: string | null;
  /** Profiles first seen (or first doing startEvent) on local days [from, to). */
  from: string;
  to: string;
  days?: number[] | null;
  filter?: AnalyticsFilter | null;
  breakdown?: AnalyticsBreakdown | null;
}

export interface ChurnPointAnswer {
  day: number;
  /** Members whose day `day` has begun (the others cannot be judged yet). */
  eligible: number;
  /** Of those, members never seen on day `day` or later (day 0 = their first day). */
  churned: number;
  /** churned / eligible, in percent (two decimals); 0 when none is eligible. */
  percentage: number;
}

export interface EarlyChurnAnswer {
  timeZone: string;
  size: number;
  points: ChurnPointAnswer[];
  breakdown: (BreakdownGroup & { points: ChurnPointAnswer[] })[] | null;
}

interface Row {
  g: string | null;
  other: boolean;
  d: number;
  profiles: number;
  churned: number;
}

/**
 * Early churn: of the profiles that arrived in [from, to), the share never seen again from day d
 * on (day 0 = the first day), for each d; judged as of today, so only members whose day d has
 * begun count. Last-seen days come from `profile_day` (any event), first days from the rollups'
 * first-seen tables; broken down by an acquisition property (the start event's, or the profile's).
 */
@Injectable()
export class EarlyChurnQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
    private readonly clock: Clock,
  ) {}

  async earlyChurn(projectId: string, question: EarlyChurnQuestion): Promise<EarlyChurnAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const grid = retentionGrid({ interval: 'DAY', intervals: 1, from: question.from, to: question.to, startEvent: question.startEvent }, timeZone);
    const days = checkDays(question.days ?? DEFAULT_CHURN_DAYS);
    const today = DateTime.fromJSDate(this.clock.now(), { zone: timeZone }).toISODate();
    const params: unknown[] = [projectId, grid.from.toISODate(), grid.to.toISODate(), days, today];
    const scope = await this.filters.scope(projectId, settings, question.filter, question.breakdown, params);
    const activity = scope.activity(null, { from: grid.from.toISODate()! });
    const rows = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager);
      return (await manager.query(
        `WITH cohort AS MATERIALIZED (
           SELECT f.profile_id, f.first_day, ${scope.groupOf('f.profile_id', 'f.value')} AS g
           FROM ${scope.firsts(question.startEvent ?? null)} f
           WHERE f.first_day >= $2::date AND f.first_day < $3::date AND ${scope.profileIn('f.profile_id')}
         ), seen AS MATERIALIZED (
           SELECT h.g, h.first_day, (SELECT max(a.day) FROM ${activity} a WHERE a.profile_id = h.profile_id) AS last_day FROM cohort h
         ), counted AS (
           SELECT g, -1 AS d, count(*)::int AS profiles, 0 AS churned FROM cohort GROUP BY g
           UNION ALL
           SELECT s.g, d, count(*) FILTER (WHERE s.first_day + d <= $5::date)::int,
             count(*) FILTER (WHERE s.first_day + d <= $5::date AND (s.last_day IS NULL OR s.last_day < s.first_day + d))::int
           FROM seen s CROSS JOIN unnest($4::int[]) d GROUP BY s.g, d
         )
         SELECT counted.g, r.other, counted.d, counted.profiles, counted.churned
         FROM counted JOIN ${scope.groupRanks('cohort')} r ON r.g IS NOT DISTINCT FROM counted.g`,
        params,
      )) as Row[];
    });
    const points = (part: readonly Row[]) =>
      days.map((day) => {
        const eligible = part.filter((row) => row.d === day).reduce((sum, row) => sum + row.profiles, 0);
        const churned = part.filter((row) => row.d === day).reduce((sum, row) => sum + row.churned, 0);
        return { day, eligible, churned, percentage: eligible === 0 ? 0 : Math.round((10_000 * churned) / eligible) / 100 };
      });
    return {
      timeZone,
      size: rows.filter((row) => row.d === -1).reduce((sum, row) => sum + row.profiles, 0),
      points: points(rows),
      breakdown: scope.breakdown ? breakdownGroups(rows, (row) => row.d === -1).map(({ group, rows: part }) => ({ ...group, points: points(part) })) : null,
    };
  }
}

function checkDays(days: readonly number[]): number[] {
  const invalid = (rule: string) => new AnalyticsError(AnalyticsErrorCode.InvalidQuestion, `input.days: ${rule}`, 'input.days');
  if (days.length === 0 || days.length > 10) throw invalid('give 1 to 10 days');
  if (days.some((day) => !Number.isInteger(day) || day < 1 || day > 366)) throw invalid('each must be a whole number of days from 1 to 366');
  if (new Set(days).size !== days.length) throw invalid('must not repeat a day');
  return [...days].sort((a, b) => a - b);
}
