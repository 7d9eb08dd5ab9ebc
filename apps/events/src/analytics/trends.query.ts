import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DateTime } from 'luxon';
import type { DataSource, EntityManager } from 'typeorm';
import { conditionSql, numericValueSql, type PropertyCondition } from '@boomerang/audience';
import { AnalyticsFilters, breakdownGroups, MAX_BREAKDOWN_GROUPS, type AnalyticsBreakdown, type AnalyticsFilter, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore, type AnalyticsSettings } from './analytics-settings.js';
import { eventName, invalidQuestion, localMidnightSql, localRange, propertyConditions } from './behaviour.js';
import { RetentionGrid } from './retention.js';
import { analyticsSession } from './analytics-session.js';

export type TrendMeasure = 'COUNT' | 'UNIQUE_PROFILES' | 'SUM' | 'AVERAGE';
export type TrendInterval = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH';

export interface TrendsQuestion {
  event?: string | null;
  where?: unknown;
  measure: TrendMeasure;
  property?: string | null;
  interval: TrendInterval;
  from: string;
  to: string;
  compareToPrevious?: boolean | null;
  filter?: AnalyticsFilter | null;
  breakdown?: AnalyticsBreakdown | null;
}

export interface TrendPoint {
  start: string;
  value: number;
}

export interface TrendSeries {
  from: string;
  to: string;
  points: TrendPoint[];
  total: number;
}

export interface TrendsAnswer extends TrendSeries {
  timeZone: string;
  previous: TrendSeries | null;
  /** Change of the total from the previous period, in percent (null without one, or when it was 0). */
  change: number | null;
  /** One series per breakdown group (the current period, each with its own previous one), largest first; null without a breakdown. */
  breakdown: TrendsGroup[] | null;
}

export interface TrendsGroup extends BreakdownGroup {
  points: TrendPoint[];
  total: number;
  /** The same group in the previous period (compareToPrevious), else null. */
  previous: TrendSeries | null;
  change: number | null;
}

/** The current period's groups, which the previous period is split by (the rest is `other`). */
interface FixedGroups {
  values: string[];
  withNone: boolean;
}

/** Most points of a series: an hourly chart of a month, a daily one of two years. */
const MAX_POINTS = 800;

interface CheckedTrends {
  event: string | null;
  where: PropertyCondition[];
  measure: TrendMeasure;
  property: string | null;
  interval: TrendInterval;
}

/**
 * Trends: a count of events, of distinct profiles, or the sum / average of a numeric property, per
 * hour, local day, ISO week (Monday) or calendar month of the project's time zone, and the same
 * for the period just before. Counts and distinct profiles per day/week/month (and revenue sums)
 * come from the rollups (`profile_day`, `profile_day_event`); hours, other properties and event
 * property conditions (`where`, or the filter's event conditions) take the raw path (`event` by
 * `(project, name, timestamp)`). The filter's segment and profile conditions narrow the profiles either way.
 */
@Injectable()
export class TrendsQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
  ) {}

  async trends(projectId: string, question: TrendsQuestion): Promise<TrendsAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const trend = checkTrends(question);
    const range = localRange(question, settings.timeZone);
    const unit = trend.interval === 'HOUR' ? 'DAY' : trend.interval;
    const grid = new RetentionGrid(unit, 1, range.from, range.to);
    const hours = Math.round(range.to.diff(range.from, 'hours').hours);
    if ((trend.interval === 'HOUR' ? hours : grid.cohorts) > MAX_POINTS) throw invalidQuestion('to', `makes more than ${MAX_POINTS} points; choose a longer interval`);
    // The previous period: as many days (hours, days), weeks or months just before `from`.
    const previousFrom =
      unit === 'MONTH' ? range.from.minus({ months: grid.cohorts }) : unit === 'WEEK' ? range.from.minus({ days: 7 * grid.cohorts }) : range.from.minus({ days: range.days });
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      await analyticsSession(manager);
      const breakdown = question.breakdown ?? null;
      const { groups, ...current } = await this.series(manager, projectId, settings, trend, question.filter, range.from, range.to, breakdown);
      // The previous period is split by the current period's groups, so each group compares with itself.
      const fixed: FixedGroups | null = groups && {
        values: groups.filter((group) => !group.other && group.value !== null).map((group) => group.value!),
        withNone: groups.some((group) => !group.other && group.value === null),
      };
      const previous = question.compareToPrevious ? await this.series(manager, projectId, settings, trend, question.filter, previousFrom, range.from, breakdown, fixed) : null;
      const seriesOnly = (series: TrendSeries): TrendSeries => ({ from: series.from, to: series.to, points: series.points, total: series.total });
      const withPrevious =
        groups &&
        groups.map((group) => {
          if (!previous) return group;
          const before = previous.groups?.find((candidate) => candidate.other === group.other && candidate.value === group.value);
          const previousOfGroup = before
            ? { from: previous.from, to: previous.to, points: before.points, total: before.total }
            : { from: previous.from, to: previous.to, points: previous.points.map((point) => ({ start: point.start, value: 0 })), total: 0 };
          return { ...group, previous: previousOfGroup, change: changeOf(group.total, previousOfGroup.total) };
        });
      return { timeZone: settings.timeZone, ...current, previous: previous && seriesOnly(previous), change: previous && changeOf(current.total, previous.total), breakdown: withPrevious };
    });
  }

  /**
   * One series over [from, to); with `breakdown`, also one per group (the MAX_BREAKDOWN_GROUPS
   * largest by profiles, the rest folded into one): by the profile's property, or by the counted
   * event's own property (raw events). With `fixed` groups (the previous period's split), the groups
   * are those values, and everything else is `other`.
   */
  private async series(
    manager: EntityManager,
    projectId: string,
    settings: AnalyticsSettings,
    trend: CheckedTrends,
    filter: AnalyticsFilter | null | undefined,
    from: DateTime,
    to: DateTime,
    breakdown: AnalyticsBreakdown | null = null,
    fixed: FixedGroups | null = null,
  ): Promise<TrendSeries & { groups: TrendsGroup[] | null }> {
    const params: unknown[] = [projectId];
    const scope = await this.filters.scope(projectId, settings, filter, breakdown, params);
    const grid = new RetentionGrid(trend.interval === 'HOUR' ? 'DAY' : trend.interval, 1, from, to);
    const revenue = trend.property === settings.revenueProperty && trend.event === settings.revenueEvent;
    const fromRollups =
      trend.interval !== 'HOUR' &&
      trend.where.length === 0 &&
      !scope.readsRawEvents &&
      !scope.breakdown?.eventProperty &&
      (trend.measure === 'COUNT' || trend.measure === 'UNIQUE_PROFILES' || (trend.measure === 'SUM' && revenue));
    // Rows (i, profile_id, x[, g]): the interval, the profile, what the measure adds up, the group.
    let base: string;
    if (fromRollups) {
      const fromDay = `$${params.push(from.toISODate())}::date`;
      const toDay = `$${params.push(to.toISODate())}::date`;
      const table = trend.event ? `profile_day_event r WHERE r.project_id = $1 AND r.name = $${params.push(trend.event)} AND` : `profile_day r WHERE r.project_id = $1 AND`;
      const x = trend.measure === 'COUNT' ? 'r.events::numeric' : trend.measure === 'SUM' ? 'r.revenue' : 'NULL::numeric';
      const group = scope.breakdown ? `, ${scope.groupOf('r.profile_id', 'NULL::text')} AS g` : '';
      base = `SELECT ${grid.indexSql('day', params)} AS i, r.profile_id, ${x} AS x${group} FROM ${table} day >= ${fromDay} AND day < ${toDay} AND ${scope.profileIn('r.profile_id')}`;
    } else {
      const tz = `$${params.push(settings.timeZone)}::text`;
      const fromTs = localMidnightSql(from, params, tz);
      const toTs = localMidnightSql(to, params, tz);
      const index = trend.interval === 'HOUR' ? `floor(extract(epoch FROM e."timestamp" - ${fromTs}) / 3600)::int` : grid.indexSql(`(e."timestamp" AT TIME ZONE ${tz})::date`, params);
      const x = trend.measure === 'COUNT' ? '1::numeric' : trend.property ? numericValueSql(trend.property, 'e.properties', params) : 'NULL::numeric';
      const named = trend.event ? ` AND e.name = $${params.push(trend.event)}` : '';
      const conditions = [...trend.where.map((condition) => conditionSql(condition, 'e.properties', params)), scope.eventMatches('e'), scope.profileIn('e.profile_id')].map((sql) => ` AND ${sql}`).join('');
      const group = scope.breakdown ? `, ${scope.groupOf('e.profile_id', scope.eventValue('e'))} AS g` : '';
      base = `SELECT ${index} AS i, e.profile_id, ${x} AS x${group} FROM event e
        WHERE e.project_id = $1 AND e.profile_id IS NOT NULL AND e."timestamp" >= ${fromTs} AND e."timestamp" < ${toTs}${named}${conditions}`;
    }
    const value = { COUNT: 'sum(x)', UNIQUE_PROFILES: 'count(DISTINCT profile_id)', SUM: 'sum(x)', AVERAGE: 'avg(x)' }[trend.measure];
    const length = trend.interval === 'HOUR' ? Math.round(to.diff(from, 'hours').hours) : grid.cohorts;
    const seriesOf = (rows: readonly { i: number | null; value: string | number | null }[]) => ({
      points: Array.from({ length }, (_, i) => ({
        start: trend.interval === 'HOUR' ? from.plus({ hours: i }).toISO({ suppressMilliseconds: true })! : (i === 0 ? from : grid.start(i)).toISODate()!,
        value: round(rows.find((row) => row.i !== null && Number(row.i) === i)?.value),
      })),
      total: round(rows.find((row) => row.i === null)?.value),
    });
    const range = { from: from.toISODate()!, to: to.toISODate()! };
    if (!scope.breakdown) {
      // GROUPING SETS: each interval, and the whole period (i null) for distinct profiles over it.
      const rows = (await manager.query(`SELECT i, ${value} AS value FROM (${base}) b GROUP BY GROUPING SETS ((i), ())`, params)) as { i: number | null; value: string | null }[];
      return { ...range, ...seriesOf(rows), groups: null };
    }
    // A profile can be in several groups of an event property; groups are ranked by their distinct profiles.
    const other = fixed
      ? `NOT (g = ANY($${params.push(fixed.values)}::text[]) OR (g IS NULL AND $${params.push(fixed.withNone)}::boolean))`
      : `row_number() OVER (ORDER BY count(DISTINCT profile_id) DESC, g NULLS LAST) > ${MAX_BREAKDOWN_GROUPS}`;
    const rows = (await manager.query(
      `WITH base AS MATERIALIZED (${base}),
       ranks AS (SELECT g, ${other} AS other FROM base GROUP BY g),
       folded AS (SELECT CASE WHEN r.other THEN NULL ELSE b.g END AS g, r.other, b.i, b.profile_id, b.x FROM base b JOIN ranks r ON r.g IS NOT DISTINCT FROM b.g)
       SELECT i, NULL::text AS g, false AS other, ${value} AS value, count(DISTINCT profile_id)::int AS profiles, true AS whole FROM folded GROUP BY GROUPING SETS ((i), ())
       UNION ALL
       SELECT i, g, other, ${value}, count(DISTINCT profile_id)::int, false FROM folded GROUP BY GROUPING SETS ((g, other, i), (g, other))`,
      params,
    )) as { i: number | null; g: string | null; other: boolean; value: string | null; profiles: number; whole: boolean }[];
    const groups = breakdownGroups(
      rows.filter((row) => !row.whole),
      (row) => row.i === null,
    ).map(({ group, rows: part }) => ({ ...group, ...seriesOf(part), previous: null, change: null }));
    return { ...range, ...seriesOf(rows.filter((row) => row.whole)), groups };
  }
}

function checkTrends(question: TrendsQuestion): CheckedTrends {
  const needsProperty = question.measure === 'SUM' || question.measure === 'AVERAGE';
  if (needsProperty && !question.property) throw invalidQuestion('property', `is required with measure ${question.measure}`);
  if (!needsProperty && question.property != null) throw invalidQuestion('property', 'is only for measures SUM and AVERAGE');
  if (question.property != null && (question.property.length === 0 || question.property.length > 200)) throw invalidQuestion('property', 'must be a property name of 1 to 200 characters');
  return {
    event: eventName(question.event, 'event'),
    where: propertyConditions(question.where, 'where'),
    measure: question.measure,
    property: question.property ?? null,
    interval: question.interval,
  };
}

/** Change from `before` to `now` in percent, 2 decimals (null when `before` is 0). */
function changeOf(now: number, before: number): number | null {
  return before !== 0 ? Math.round((10_000 * (now - before)) / before) / 100 : null;
}

/** A value as a number with at most 4 decimals (0 when there is none). */
function round(value: string | number | null | undefined): number {
  return value == null ? 0 : Math.round(Number(value) * 10_000) / 10_000;
}
