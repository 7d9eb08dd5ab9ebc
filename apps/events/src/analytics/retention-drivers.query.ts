import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import { probit } from 'simple-statistics';
import type { DataSource } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { AnalyticsFilters, type AnalyticsFilter } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';
import { retentionGrid, type RetentionMode } from './retention.js';
import { analyticsSession } from './analytics-session.js';

export interface RetentionDriversQuestion {
  startEvent?: string | null;
  /** Cohort: profiles first seen (or first doing startEvent) on local days [from, to). */
  from: string;
  to: string;
  /** What members did in their first `withinDays` days (day 0 … withinDays − 1). */
  withinDays: number;
  /** "Did it at least n times", for each n (default 1). */
  atLeast?: number[] | null;
  /** Retained: did the return event (default any) on day `retainedOnDay` (CLASSIC) or on it or later (UNBOUNDED). */
  retainedOnDay: number;
  returnEvent?: string | null;
  mode?: RetentionMode | null;
  limit?: number | null;
  filter?: AnalyticsFilter | null;
}

export interface DriverAnswer {
  event: string;
  atLeast: number;
  doers: number;
  doersRetained: number;
  nonDoers: number;
  nonDoersRetained: number;
  /** Retained doers / doers, percent. */
  doerRate: number;
  nonDoerRate: number;
  /** doerRate − nonDoerRate, percentage points, with its 95 % interval (Wald, normal approximation). */
  difference: number;
  low: number;
  high: number;
}

export interface RetentionDriversAnswer {
  timeZone: string;
  /** Cohort members whose day `retainedOnDay` has begun (the others cannot be judged yet). */
  members: number;
  retained: number;
  drivers: DriverAnswer[];
}

const Z_95 = probit(0.975);
const pct = (value: number) => Math.round(value * 10_000) / 100;

/**
 * Retention drivers (Amplitude's Compass, Mixpanel's Signal): for each event and "at least n
 * times" in the cohort's first days, how much more the members who did it were retained on day M
 * than those who did not, ranked by that difference, with a 95 % interval. Counts come from
 * `profile_day_event` (raw events under event conditions).
 */
@Injectable()
export class RetentionDriversQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
    private readonly clock: Clock,
  ) {}

  async retentionDrivers(projectId: string, question: RetentionDriversQuestion): Promise<RetentionDriversAnswer> {
    const { timeZone, sql, params } = await this.cohortSql(projectId, question);
    const { rows, totals } = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager);
      const [{ answer }] = (await manager.query(
        `${sql}
         SELECT json_build_object(
           'rows', COALESCE((SELECT json_agg(r) FROM (
             SELECT did.name, n.at_least, count(*)::int AS doers, count(*) FILTER (WHERE did.kept)::int AS kept
             FROM did CROSS JOIN unnest($6::int[]) n (at_least) WHERE did.times >= n.at_least GROUP BY did.name, n.at_least) r), '[]'),
           'totals', (SELECT json_build_object('members', count(*)::int, 'kept', count(*) FILTER (WHERE kept)::int) FROM judged)
         ) AS answer`,
        params,
      )) as [{ answer: { rows: { name: string; at_least: number; doers: number; kept: number }[]; totals: { members: number; kept: number } } }];
      return answer;
    });
    const drivers = rows
      .map((row): DriverAnswer | null => {
        const nonDoers = totals.members - row.doers;
        if (row.doers === 0 || nonDoers === 0) return null;
        const nonDoersRetained = totals.kept - row.kept;
        const p1 = row.kept / row.doers;
        const p0 = nonDoersRetained / nonDoers;
        const margin = Z_95 * Math.sqrt((p1 * (1 - p1)) / row.doers + (p0 * (1 - p0)) / nonDoers);
        return {
          event: row.name,
          atLeast: row.at_least,
          doers: row.doers,
          doersRetained: row.kept,
          nonDoers,
          nonDoersRetained,
          doerRate: pct(p1),
          nonDoerRate: pct(p0),
          difference: pct(p1 - p0),
          low: pct(Math.max(-1, p1 - p0 - margin)),
          high: pct(Math.min(1, p1 - p0 + margin)),
        };
      })
      .filter((driver): driver is DriverAnswer => driver !== null)
      .sort((a, b) => b.difference - a.difference || b.doers - a.doers || a.event.localeCompare(b.event) || a.atLeast - b.atLeast)
      .slice(0, checkDrivers(question).limit);
    return { timeZone, members: totals.members, retained: totals.kept, drivers };
  }

  /** The doers (or non-doers) of one driver, in id order: what "as a segment" saves (AnalyticsCohorts). */
  async profiles(projectId: string, question: RetentionDriversQuestion, event: string, atLeast: number, doers: boolean): Promise<string[]> {
    const { sql, params } = await this.cohortSql(projectId, { ...question, atLeast: [atLeast] });
    params.push(event);
    const did = `EXISTS (SELECT 1 FROM did WHERE did.profile_id = judged.profile_id AND did.name = $${params.length}::text AND did.times >= ($6::int[])[1])`;
    const rows = (await this.dataSource.query(`${sql} SELECT profile_id FROM judged WHERE ${doers ? '' : 'NOT '}${did} ORDER BY profile_id`, params)) as { profile_id: string }[];
    return rows.map((row) => row.profile_id);
  }

  /** The cohort's CTEs: `judged (profile_id, first_day, kept)` and `did (name, profile_id, kept, times)`; $6 = atLeast. */
  private async cohortSql(projectId: string, question: RetentionDriversQuestion): Promise<{ timeZone: string; sql: string; params: unknown[] }> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const grid = retentionGrid({ interval: 'DAY', intervals: 1, from: question.from, to: question.to, startEvent: question.startEvent, returnEvent: question.returnEvent }, timeZone);
    const { withinDays, retainedOnDay, atLeast } = checkDrivers(question);
    const today = DateTime.fromJSDate(this.clock.now(), { zone: timeZone }).toISODate();
    const params: unknown[] = [projectId, grid.from.toISODate(), grid.to.toISODate(), withinDays, retainedOnDay, atLeast, today];
    const scope = await this.filters.scope(projectId, settings, question.filter, null, params);
    const window = { from: grid.from.toISODate()! };
    const returns = scope.activity(question.returnEvent ?? null, window);
    const done = scope.namedActivity({ ...window, to: grid.to.plus({ days: withinDays }).toISODate()! });
    const kept = (question.mode ?? 'CLASSIC') === 'CLASSIC' ? `a.day = h.first_day + $5::int` : `a.day >= h.first_day + $5::int`;
    const sql = `WITH cohort AS MATERIALIZED (
           SELECT f.profile_id, f.first_day FROM ${scope.firsts(question.startEvent ?? null)} f
           WHERE f.first_day >= $2::date AND f.first_day < $3::date AND f.first_day + $5::int <= $7::date AND ${scope.profileIn('f.profile_id')}
         ), judged AS MATERIALIZED (
           SELECT h.profile_id, h.first_day, EXISTS (SELECT 1 FROM ${returns} a WHERE a.profile_id = h.profile_id AND ${kept}) AS kept FROM cohort h
         ), did AS (
           SELECT d.name, j.profile_id, bool_or(j.kept) AS kept, sum(d.events) AS times
           FROM judged j JOIN ${done} d ON d.profile_id = j.profile_id AND d.day >= j.first_day AND d.day < j.first_day + $4::int
           GROUP BY d.name, j.profile_id
         )`;
    return { timeZone, sql, params };
  }
}

function checkDrivers(question: RetentionDriversQuestion): { withinDays: number; retainedOnDay: number; atLeast: number[]; limit: number } {
  const invalid = (field: string, rule: string) => new AnalyticsError(AnalyticsErrorCode.InvalidQuestion, `input.${field}: ${rule}`, `input.${field}`);
  const whole = (value: number, low: number, high: number) => Number.isInteger(value) && value >= low && value <= high;
  if (!whole(question.withinDays, 1, 90)) throw invalid('withinDays', 'must be a whole number of days from 1 to 90');
  if (!whole(question.retainedOnDay, 1, 366)) throw invalid('retainedOnDay', 'must be a whole number of days from 1 to 366');
  if (question.retainedOnDay < question.withinDays) throw invalid('retainedOnDay', 'must not be before the end of the first withinDays days (what members did must come before they are judged retained)');
  const atLeast = question.atLeast ?? [1];
  if (atLeast.length === 0 || atLeast.length > 5 || atLeast.some((n) => !whole(n, 1, 1000)) || new Set(atLeast).size !== atLeast.length)
    throw invalid('atLeast', 'give 1 to 5 different whole numbers from 1 to 1000');
  const limit = question.limit ?? 20;
  if (!whole(limit, 1, 200)) throw invalid('limit', 'must be a whole number from 1 to 200');
  return { withinDays: question.withinDays, retainedOnDay: question.retainedOnDay, atLeast, limit };
}
