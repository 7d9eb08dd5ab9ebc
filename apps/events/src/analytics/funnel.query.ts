import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { conditionSql, type PropertyCondition } from '@boomerang/audience';
import { AnalyticsFilters, breakdownGroups, type AnalyticsBreakdown, type AnalyticsFilter, type AnalyticsScope, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { eventName, invalidQuestion, localMidnightSql, localRange, percentage, propertyConditions } from './behaviour.js';
import { analyticsSession } from './analytics-session.js';
import { utcMonthOf } from './rollups.js';

export type FunnelOrder = 'STRICT_ORDER' | 'ANY_ORDER';
export type FunnelWindowUnit = 'MINUTE' | 'HOUR' | 'DAY';

export interface FunnelQuestion {
  steps: { event: string; where?: unknown }[];
  conversionWindow: number;
  conversionWindowUnit?: FunnelWindowUnit | null;
  order?: FunnelOrder | null;
  from: string;
  to: string;
  filter?: AnalyticsFilter | null;
  breakdown?: AnalyticsBreakdown | null;
}

export interface FunnelStepAnswer {
  event: string;
  profiles: number;
  conversionFromPrevious: number;
  conversionFromFirst: number;
  medianSecondsFromPrevious: number | null;
}

export interface FunnelAnswer {
  timeZone: string;
  order: FunnelOrder;
  steps: FunnelStepAnswer[];
  /** The steps per breakdown group of the entrants (profiles: step 1's), largest first; null without a breakdown. */
  breakdown: (BreakdownGroup & { steps: FunnelStepAnswer[] })[] | null;
}

/** One answer row: the whole funnel or one group's, `p<k>` the profiles at step k and `m<k>` its median seconds. */
type Row = { g: string | null; other: boolean; whole: boolean; [column: `p${number}` | `m${number}`]: number | string | null };

export const MIN_FUNNEL_STEPS = 2;
export const MAX_FUNNEL_STEPS = 10;
const UNIT_SECONDS: Record<FunnelWindowUnit, number> = { MINUTE: 60, HOUR: 3600, DAY: 86_400 };
/** Longest conversion window: a year. */
const MAX_WINDOW_SECONDS = 366 * 86_400;
/** Windows up to the shortest month: a step's span [after, t1 + window) then meets at most two UTC month rows. */
const TWO_MONTH_ROWS_WINDOW_SECONDS = 28 * 86_400;

interface CheckedFunnel {
  steps: { event: string; where: PropertyCondition[] }[];
  windowSeconds: number;
  order: FunnelOrder;
}

/** Checks a funnel question; bad input names its field and the rule. */
export function checkFunnel(question: FunnelQuestion): CheckedFunnel {
  const { steps } = question;
  if (!Array.isArray(steps) || steps.length < MIN_FUNNEL_STEPS || steps.length > MAX_FUNNEL_STEPS) {
    throw invalidQuestion('steps', `must hold ${MIN_FUNNEL_STEPS} to ${MAX_FUNNEL_STEPS} steps`);
  }
  const unit = question.conversionWindowUnit ?? 'DAY';
  const windowSeconds = question.conversionWindow * UNIT_SECONDS[unit];
  if (!Number.isInteger(question.conversionWindow) || question.conversionWindow < 1 || windowSeconds > MAX_WINDOW_SECONDS) {
    throw invalidQuestion('conversionWindow', 'must be a whole number of units from 1 up to a year');
  }
  return {
    steps: steps.map((step, i) => ({ event: eventName(step.event, `steps[${i}].event`)!, where: propertyConditions(step.where, `steps[${i}].where`) })),
    windowSeconds,
    order: question.order ?? 'STRICT_ORDER',
  };
}

/**
 * Funnels: a profile enters at its first step-1 event in the range (local days, project time zone)
 * and reaches step k when it did step k within the conversion window of that entry — after step
 * k − 1 (STRICT_ORDER) or anywhere in the window after the entry (ANY_ORDER); each step's earliest
 * such event counts. Entrants and their times come from `profile_event_times` (one row per
 * profile, event and month); a step with property conditions (or the filter's event conditions) checks
 * them in the raw events, per profile through its timeline index; the filter's profiles narrow the
 * entrants.
 */
@Injectable()
export class FunnelQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
  ) {}

  async funnel(projectId: string, question: FunnelQuestion): Promise<FunnelAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const funnel = checkFunnel(question);
    const params: unknown[] = [projectId, timeZone];
    const scope = await this.filters.scope(projectId, settings, question.filter, question.breakdown, params);
    const ctes = funnelCtes(funnel, localRange(question, timeZone), params, scope);
    const n = funnel.steps.length;
    const latest = (k: number) => (funnel.order === 'STRICT_ORDER' || k === 1 ? `t${k}` : `greatest(${Array.from({ length: k }, (_, i) => `t${i + 1}`).join(', ')})`);
    // Median seconds from the step before, of the step's rows matching `where` (none for step 1); date_part is float8 already (extract's numeric was converted per row).
    const median = (k: number, where = '') =>
      k === 1 ? 'NULL::float8' : `(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', ${latest(k)} - ${latest(k - 1)})) FROM step${k} s${where})::float8`;
    const wholeColumns = Array.from({ length: n }, (_, i) => `(SELECT count(*) FROM step${i + 1})::int AS p${i + 1}, ${median(i + 1)} AS m${i + 1}`);
    let sql = `WITH ${ctes} SELECT NULL::text AS g, false AS other, true AS whole, ${wholeColumns.join(', ')}`;
    if (scope.breakdown) {
      // Each entrant's group: its property, or the property on its entry (the step-1 event at t1).
      const entry = () => `(SELECT ${scope.eventValue('e0')} FROM event e0 WHERE e0.project_id = $1 AND e0.profile_id = s.profile_id AND e0.name = $${params.push(funnel.steps[0]!.event)}::text
        AND e0."timestamp" = s.t1 ORDER BY e0.id LIMIT 1)`;
      const groupColumns = Array.from({ length: n }, (_, i) => `(SELECT count(*) FROM step${i + 1} s WHERE s.profile_id = ANY(f.members))::int, ${median(i + 1, ' WHERE s.profile_id = ANY(f.members)')}`);
      sql = `WITH ${ctes},
        grouped AS MATERIALIZED (SELECT s.profile_id, ${scope.groupOf('s.profile_id', scope.breakdown.eventProperty ? entry() : 'NULL::text')} AS g FROM step1 s),
        folded AS (
          SELECT CASE WHEN r.other THEN NULL ELSE gr.g END AS g, r.other, array_agg(gr.profile_id) AS members
          FROM grouped gr JOIN ${scope.groupRanks('grouped')} r ON r.g IS NOT DISTINCT FROM gr.g GROUP BY 1, 2
        )
        SELECT NULL::text AS g, false AS other, true AS whole, ${wholeColumns.join(', ')}
        UNION ALL
        SELECT f.g, f.other, false, ${groupColumns.join(', ')} FROM folded f`;
    }
    const rows = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager, { workMem: true, hashJoins: readsOnlyRollupsUnfiltered(funnel, scope, question) });
      return (await manager.query(sql, params)) as Row[];
    });
    const stepsOf = (row: Row) => {
      const counts = funnel.steps.map((_, i) => Number(row[`p${i + 1}`] ?? 0));
      return funnel.steps.map((step, i) => ({
        event: step.event,
        profiles: counts[i]!,
        conversionFromPrevious: i === 0 ? 100 : percentage(counts[i]!, counts[i - 1]!),
        conversionFromFirst: percentage(counts[i]!, counts[0]!),
        medianSecondsFromPrevious: i === 0 || row[`m${i + 1}`] == null ? null : Number(row[`m${i + 1}`]),
      }));
    };
    const groups = scope.breakdown
      ? breakdownGroups(
          rows.filter((row) => !row.whole).map((row) => ({ ...row, profiles: Number(row.p1) })),
          () => true,
        ).map(({ group, rows: [row] }) => ({ ...group, steps: stepsOf(row!) }))
      : null;
    return { timeZone, order: funnel.order, steps: stepsOf(rows.find((row) => row.whole)!), breakdown: groups };
  }

  /** The profiles that reached step `reached` (1-based) but not step `reached + 1` (drop-off), or that reached it (`dropped: false`). */
  async profiles(projectId: string, question: FunnelQuestion, reached: number, dropped: boolean): Promise<string[]> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const funnel = checkFunnel(question);
    if (!Number.isInteger(reached) || reached < 1 || reached > funnel.steps.length || (dropped && reached === funnel.steps.length)) {
      throw invalidQuestion('funnel.step', `must be a step from 1 to ${funnel.steps.length - (dropped ? 1 : 0)}`);
    }
    const params: unknown[] = [projectId, timeZone];
    const scope = await this.filters.scope(projectId, settings, question.filter, null, params, 'input.funnel.question');
    const ctes = funnelCtes(funnel, localRange(question, timeZone), params, scope);
    const at = `step${reached}`;
    const sql = dropped ? `SELECT profile_id FROM ${at} EXCEPT SELECT profile_id FROM step${reached + 1}` : `SELECT profile_id FROM ${at}`;
    const rows = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager, { workMem: true, hashJoins: readsOnlyRollupsUnfiltered(funnel, scope, question) });
      return (await manager.query(`WITH ${ctes} ${sql} ORDER BY 1`, params)) as { profile_id: string }[];
    });
    return rows.map((row) => row.profile_id);
  }
}

/**
 * Whether the funnel reads only the rollups for every profile of its first event: every step
 * without property conditions, no event conditions, no breakdown and no filter narrowing the entrants.
 * Such a funnel is planned with hash joins and hashed grouping only (`analyticsSession`'s `hashJoins`):
 * each step joins the ~100k profiles of the step before to the event's month rows of the range (bench
 * data set); the planner under-estimates the steps (their times are computed) and otherwise sorts both
 * sides for a merge join and the joined rows again to group them. Not for narrowed entrants (a segment,
 * profile conditions) or raw-event steps, where per-profile index probes win.
 */
function readsOnlyRollupsUnfiltered(funnel: CheckedFunnel, scope: AnalyticsScope, question: FunnelQuestion): boolean {
  return !question.filter && !scope.breakdown && !scope.readsRawEvents && funnel.steps.every((step) => step.where.length === 0);
}

/**
 * The funnel's CTEs `step1 … stepN (profile_id, t1 … tk, m)`; `$1` is the project, `$2` its time zone.
 * A step without property conditions (and no event conditions in the filter) is answered from the
 * rollups: `profile_event_times.times` holds each profile's sorted times of the event per UTC month,
 * so the entry is the earliest time at or after the range's start among step 1's months in the range,
 * and step k the earliest at or after step k − 1 (STRICT) or the entry (ANY) and before the window
 * ends, among the months that span covers: one binary search per row (`firstInRowAtOrAfter`); with windows
 * up to 28 days, in the row of that time's month or else the next month's, joined by (profile, month)
 * without grouping. A step with conditions reads the raw events (per profile, through the name timeline index).
 */
function funnelCtes(funnel: CheckedFunnel, range: ReturnType<typeof localRange>, params: unknown[], scope: AnalyticsScope): string {
  const { steps, windowSeconds, order } = funnel;
  const bind = (value: unknown, type: string) => `$${params.push(value)}::${type}`;
  const fromTs = localMidnightSql(range.from, params, '$2');
  const toTs = localMidnightSql(range.to, params, '$2');
  const window = `(${bind(windowSeconds, 'int')} * interval '1 second')`;
  const names = steps.map((step) => bind(step.event, 'text'));
  // The filter's event conditions hold for every step's event.
  const conditions = steps.map((step) => step.where.map((condition) => ` AND ${conditionSql(condition, 'e.properties', params)}`).join('') + ` AND ${scope.eventMatches('e')}`);
  const raw = steps.map((step) => step.where.length > 0 || scope.readsRawEvents);
  const firstMonth = range.from.toUTC().startOf('month');
  const lastMonth = range.to.minus({ milliseconds: 1 }).toUTC().startOf('month');
  // The first time at or after the range's start in a row of its first month: the row's first time when the range starts with
  // the month (`first_time`, which the by-month index carries: an index-only scan).
  const firstInRange = (alias: string) => (firstMonth.equals(range.from.toUTC()) ? `${alias}.first_time` : firstInRowAtOrAfter(alias, fromTs));
  const monthRows = (alias: string, month: string) =>
    `profile_event_times ${alias} WHERE ${alias}.project_id = $1 AND ${alias}.name = ${names[0]} AND ${alias}.month = ${month}`;
  // Each step's rows carry `m`, the UTC month of the time the next step searches from (its row's month): a key for the next lookup.
  // A range inside one UTC month (a calendar month in UTC or a zone behind it, a week) has one row per profile: nothing to group;
  // across one month end (the last 30 days), the entry is in the first month's row, else the first time of the second's.
  const entries = firstMonth.equals(lastMonth)
    ? `SELECT r.profile_id, r.month AS m, ${firstInRange('r')} AS t FROM ${monthRows('r', utcMonthOf(fromTs))} AND ${scope.profileIn('r.profile_id')}`
    : firstMonth.plus({ months: 1 }).equals(lastMonth)
      ? `SELECT j.profile_id, j.m, j.t FROM (
           SELECT coalesce(r.profile_id, l.profile_id) AS profile_id, CASE WHEN ${firstInRange('r')} IS NULL THEN l.month ELSE r.month END AS m,
             coalesce(${firstInRange('r')}, l.first_time) AS t
           FROM (SELECT * FROM ${monthRows('r', utcMonthOf(fromTs))}) r
           FULL JOIN (SELECT * FROM ${monthRows('l', utcMonthOf(`${toTs} - interval '1 microsecond'`))}) l ON l.profile_id = r.profile_id
         ) j WHERE ${scope.profileIn('j.profile_id')}`
      : `SELECT g.profile_id, ${utcMonthOf('g.t')} AS m, g.t FROM (
           SELECT r.profile_id, min(${firstInRowAtOrAfter('r', fromTs)}) AS t FROM profile_event_times r
           WHERE r.project_id = $1 AND r.name = ${names[0]} AND r.month >= ${utcMonthOf(fromTs)} AND r.month <= ${utcMonthOf(`${toTs} - interval '1 microsecond'`)} AND ${scope.profileIn('r.profile_id')}
           GROUP BY r.profile_id
         ) g`;
  const ctes = raw[0]
    ? [
        `step1 AS MATERIALIZED (
           SELECT c.profile_id, ${utcMonthOf('x.t')} AS m, x.t AS t1 FROM (${entries}) c CROSS JOIN LATERAL (
             SELECT min(e."timestamp") AS t FROM event e
             WHERE e.project_id = $1 AND e.profile_id = c.profile_id AND e.name = ${names[0]} AND e."timestamp" >= c.t AND e."timestamp" < ${toTs}${conditions[0]}
           ) x WHERE c.t < ${toTs} AND x.t IS NOT NULL
         )`,
      ]
    : [`step1 AS MATERIALIZED (SELECT c.profile_id, c.m, c.t AS t1 FROM (${entries}) c WHERE c.t < ${toTs})`];
  // Constant bounds of the months a step's rows can be in select them by the month index: `m` of step 1 lies in the
  // range's months, a later step's (strict order) up to the window's end after the range.
  const lastWindowMonth = utcMonthOf(`${toTs} + ${window}`);
  const plusMonth = (month: string) => `(${month} + interval '1 month')::date`;
  let searchedMonths = { first: utcMonthOf(fromTs), last: utcMonthOf(`${toTs} - interval '1 microsecond'`) };
  for (let k = 2; k <= steps.length; k++) {
    const { first, last } = searchedMonths;
    const stepMonths = (alias: string) => `${alias}.month >= ${first} AND ${alias}.month <= ${lastWindowMonth}`;
    const strict = order === 'STRICT_ORDER';
    const after = strict ? `s.t${k - 1}` : 's.t1';
    const end = `s.t1 + ${window}`;
    const previous = Array.from({ length: k - 1 }, (_, i) => `s.t${i + 1}`).join(', ');
    const rows = (alias: string) => `profile_event_times ${alias} ON ${alias}.project_id = $1 AND ${alias}.name = ${names[k - 1]} AND ${alias}.profile_id = s.profile_id AND ${stepMonths(alias)}`;
    if (raw[k - 1]) {
      // The constant bounds (implied by the window) let the planner skip the months no step can fall in.
      ctes.push(`step${k} AS MATERIALIZED (
         SELECT s.profile_id, ${previous}, ${strict ? utcMonthOf('x.t') : 's.m'} AS m, x.t AS t${k} FROM step${k - 1} s CROSS JOIN LATERAL (
           SELECT min(e."timestamp") AS t FROM event e
           WHERE e.project_id = $1 AND e.profile_id = s.profile_id AND e.name = ${names[k - 1]} AND e."timestamp" >= ${after} AND e."timestamp" < ${end}
             AND e."timestamp" >= ${fromTs} AND e."timestamp" < ${toTs} + ${window}${conditions[k - 1]}
         ) x WHERE x.t IS NOT NULL
       )`);
    } else if (windowSeconds <= TWO_MONTH_ROWS_WINDOW_SECONDS) {
      // [after, t1 + window) meets at most two month rows: the first time at or after `after` in the row of its
      // month (one hash lookup by profile and month, nothing to group), else the first time of the next month's row,
      // for the profiles not found in the first (those with a later time there have no earlier one in the next month).
      ctes.push(`step${k}_in_month AS MATERIALIZED (
         SELECT s.profile_id, ${previous}, ${strict ? 'a.month' : 's.m'} AS m, x.t AS t${k} FROM step${k - 1} s
         JOIN ${rows('a')} AND a.month <= ${last} AND a.month = s.m
         CROSS JOIN LATERAL (SELECT ${firstInRowAtOrAfter('a', after)} AS t) x
         WHERE x.t < ${end}
       )`);
      ctes.push(`step${k} AS MATERIALIZED (
         SELECT * FROM step${k}_in_month
         UNION ALL
         SELECT s.profile_id, ${previous}, ${strict ? 'b.month' : 's.m'}, b.first_time FROM step${k - 1} s
         JOIN ${rows('b')} AND b.month >= ${plusMonth(first)} AND b.month <= ${plusMonth(last)} AND b.month = ${plusMonth('s.m')}
         WHERE b.first_time < ${end} AND NOT EXISTS (SELECT FROM step${k}_in_month f WHERE f.profile_id = s.profile_id)
       )`);
    } else {
      // Longer windows meet any number of month rows: the earliest among them (the rows before `after`'s month hold no later time).
      ctes.push(`step${k} AS MATERIALIZED (
         SELECT g.profile_id, ${previous.replaceAll('s.', 'g.')}, ${strict ? utcMonthOf(`g.t${k}`) : 'g.m'} AS m, g.t${k} FROM (
           SELECT s.profile_id, ${previous}, s.m, min(x.t) AS t${k} FROM step${k - 1} s
           JOIN ${rows('a')} AND a.month >= s.m AND a.month <= ${utcMonthOf(end)}
           CROSS JOIN LATERAL (SELECT ${firstInRowAtOrAfter('a', after)} AS t) x
           WHERE x.t < ${end}
           GROUP BY s.profile_id, ${previous}, s.m
         ) g
       )`);
    }
    if (strict) searchedMonths = { first, last: lastWindowMonth };
  }
  return ctes.join(',\n');
}

/**
 * The first time at or after `at` of the `profile_event_times` row `alias` (null if none), from the
 * index's `first_time` and `last_time` when they decide it (the row's only time, or all of them after
 * `at`: most rows), else by a binary search of the row's `times`, read by its primary key. So a step
 * hashes the index-only rows of its event (~950 leaf pages for the bench's 50k November rows) instead of
 * every heap page of the month, each row's array copied in.
 */
function firstInRowAtOrAfter(alias: string, at: string): string {
  return `CASE WHEN ${alias}.first_time >= ${at} THEN ${alias}.first_time WHEN ${alias}.last_time >= ${at} THEN (
    SELECT ${firstAtOrAfter('own.times', at)} FROM profile_event_times own
    WHERE own.project_id = ${alias}.project_id AND own.profile_id = ${alias}.profile_id AND own.name = ${alias}.name AND own.month = ${alias}.month) END`;
}

/** The first of sorted `times` at or after `at` (null if none): a binary search, `width_bucket` counting the times before `at`. */
function firstAtOrAfter(times: string, at: string): string {
  return `${times}[width_bucket(${at} - interval '1 microsecond', ${times}) + 1]`;
}
