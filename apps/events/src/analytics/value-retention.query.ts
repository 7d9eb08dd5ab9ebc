import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { PropertyConditionSchema } from '@boomerang/audience';
import { Clock } from '@boomerang/platform/subgraph';
import { AnalyticsFilters, breakdownGroups, type AnalyticsBreakdown, type AnalyticsFilter, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';
import { intervalsBegun, retentionGrid, type RetentionGrid, type RetentionUnit } from './retention.js';
import { analyticsSession } from './analytics-session.js';

/** A value-retention (LTV) question: cohorts as retention's, revenue from an event's amount property. */
export interface ValueRetentionQuestion {
  startEvent?: string | null;
  interval: RetentionUnit;
  n?: number | null;
  intervals: number;
  from: string;
  to: string;
  /** Default: the project's revenue event and property (then the rollups answer). */
  revenueEvent?: string | null;
  amountProperty?: string | null;
  /** Only amounts whose currency property equals this value (raw events). */
  currency?: { property: string; value: string } | null;
  filter?: AnalyticsFilter | null;
  breakdown?: AnalyticsBreakdown | null;
}

export interface ValueCohortAnswer {
  start: string;
  size: number;
  /** Revenue in interval k. */
  revenue: number[];
  /** Profiles of the cohort who paid (revenue ≠ 0) in interval k. */
  payers: number[];
  /** Profiles of the cohort active (any event) in interval k. */
  active: number[];
  /** LTV curve: revenue in intervals 0…k per cohort member. */
  cumulativePerMember: number[];
  /** Revenue in k / revenue in 0; null when interval 0 had none. */
  revenueRetention: (number | null)[];
  /** Average revenue per active profile in k; null when none was active. */
  arpau: (number | null)[];
}

export interface ValueRetentionAnswer {
  timeZone: string;
  revenueEvent: string;
  amountProperty: string;
  cohorts: ValueCohortAnswer[];
  breakdown: (BreakdownGroup & { cohorts: ValueCohortAnswer[] })[] | null;
}

interface Row {
  kind: 'size' | 'active' | 'paid';
  g: string | null;
  other: boolean;
  c: number;
  k: number;
  profiles: number;
  revenue: string | null;
}

const round = (value: number, places = 4) => Math.round(value * 10 ** places) / 10 ** places;

/**
 * Value retention and LTV: for each cohort (first event, or first start event), revenue by
 * interval since, who paid, who was active, the cumulative revenue per member (the LTV curve),
 * revenue retention (k over 0) and ARPAU. From the rollups (`profile_day_event.revenue`) for the
 * project's revenue settings; another event or amount property, a currency or event conditions
 * read the raw events.
 */
@Injectable()
export class ValueRetentionQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
    private readonly clock: Clock,
  ) {}

  async valueRetention(projectId: string, question: ValueRetentionQuestion): Promise<ValueRetentionAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const grid = retentionGrid(question, timeZone);
    const amount = { event: question.revenueEvent ?? settings.revenueEvent, property: question.amountProperty ?? settings.revenueProperty };
    checkRevenue(question, amount);
    const today = DateTime.fromJSDate(this.clock.now(), { zone: timeZone }).startOf('day');
    const end = grid.start(grid.cohorts - 1 + question.intervals);
    const params: unknown[] = [projectId, grid.from.toISODate(), grid.to.toISODate(), question.intervals];
    const scope = await this.filters.scope(projectId, settings, question.filter, question.breakdown, params);
    const window = { from: grid.from.toISODate()!, to: end.toISODate()! };
    const activeIndex = grid.indexSql('a.day', params);
    const paidIndex = grid.indexSql('r.day', params);
    // Any start event and the settings' revenue: each cohort member's row of profile_days holds its
    // active days and each day's revenue, so the cohort's rows are read once instead of joining
    // every profile-day (and revenue day) in the window. Days without revenue add nothing to
    // payers or revenue, so only the others are kept.
    const settingsRevenue = amount.event === settings.revenueEvent && amount.property === settings.revenueProperty && !question.currency;
    const profileDays = !question.startEvent && settingsRevenue ? scope.profileDays() : null;
    const cohortIndex = grid.indexSql(profileDays ? 'f.days[1]' : 'f.first_day', params);
    let parts: string;
    if (profileDays) {
      parts = `cohort AS MATERIALIZED (
           SELECT f.profile_id, ${cohortIndex} AS c, ${scope.groupOf('f.profile_id', 'NULL::text')} AS g, f.days, f.revenue
           FROM ${profileDays} f WHERE f.days[1] >= $2::date AND f.days[1] < $3::date AND ${scope.profileIn('f.profile_id')}
         ), active AS (
           SELECT ${grid.unit === 'DAY' ? '' : 'DISTINCT'} h.profile_id, h.g, h.c, ${activeIndex} - h.c AS k
           FROM cohort h CROSS JOIN unnest(h.days) a (day)
           WHERE ${activeIndex} - h.c BETWEEN 0 AND $4::int - 1
         ), paid AS (
           SELECT h.profile_id, h.g, h.c, ${paidIndex} - h.c AS k, true AS payer, sum(r.revenue) AS revenue
           FROM cohort h CROSS JOIN unnest(h.days, h.revenue) r (day, revenue)
           WHERE r.revenue <> 0 AND ${paidIndex} - h.c BETWEEN 0 AND $4::int - 1 GROUP BY 1, 2, 3, 4
         )`;
    } else {
      const active = scope.activity(null, window);
      const currency = question.currency ? [{ property: question.currency.property, op: 'eq' as const, type: 'string' as const, value: question.currency.value }] : [];
      const paid = scope.activity(amount.event, { ...window, amount, extra: currency });
      parts = `cohort AS MATERIALIZED (
           SELECT f.profile_id, ${cohortIndex} AS c, ${scope.groupOf('f.profile_id', 'f.value')} AS g
           FROM ${scope.firsts(question.startEvent ?? null)} f
           WHERE f.first_day >= $2::date AND f.first_day < $3::date AND ${scope.profileIn('f.profile_id')}
         ), active AS (
           SELECT DISTINCT h.profile_id, h.g, h.c, ${activeIndex} - h.c AS k
           FROM cohort h JOIN ${active} a ON a.profile_id = h.profile_id
           WHERE ${activeIndex} - h.c BETWEEN 0 AND $4::int - 1
         ), paid AS (
           SELECT h.profile_id, h.g, h.c, ${paidIndex} - h.c AS k, bool_or(r.revenue <> 0) AS payer, sum(r.revenue) AS revenue
           FROM cohort h JOIN ${paid} r ON r.profile_id = h.profile_id
           WHERE ${paidIndex} - h.c BETWEEN 0 AND $4::int - 1 GROUP BY 1, 2, 3, 4
         )`;
    }
    const rows = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager);
      return (await manager.query(
        `WITH ${parts}, rows AS (
           SELECT 'size' AS kind, g, c, -1 AS k, count(*)::int AS profiles, NULL::numeric AS revenue FROM cohort GROUP BY g, c
           UNION ALL
           SELECT 'active', g, c, k, count(*)::int, NULL FROM active GROUP BY g, c, k
           UNION ALL
           SELECT 'paid', g, c, k, count(*) FILTER (WHERE payer)::int, sum(revenue) FROM paid GROUP BY g, c, k
         )
         SELECT rows.kind, rows.g, ranks.other, rows.c, rows.k, rows.profiles, rows.revenue::text AS revenue
         FROM rows JOIN ${scope.groupRanks('cohort')} ranks ON ranks.g IS NOT DISTINCT FROM rows.g`,
        params,
      )) as Row[];
    });
    const answer = (part: readonly Row[]) => valueCohorts(grid, question.intervals, part, today);
    return {
      timeZone,
      revenueEvent: amount.event,
      amountProperty: amount.property,
      cohorts: answer(rows),
      breakdown: scope.breakdown ? breakdownGroups(rows, (row) => row.kind === 'size').map(({ group, rows: part }) => ({ ...group, cohorts: answer(part) })) : null,
    };
  }
}

/** The cohorts' curves from the counted rows (rows of several breakdown groups add up). */
export function valueCohorts(grid: RetentionGrid, intervals: number, rows: readonly Row[], today: DateTime): ValueCohortAnswer[] {
  return Array.from({ length: grid.cohorts }, (_, c) => {
    const length = intervalsBegun(grid, c, intervals, today);
    const zeros = () => new Array<number>(length).fill(0);
    const [revenue, payers, active] = [zeros(), zeros(), zeros()];
    let size = 0;
    for (const row of rows) {
      if (row.c !== c) continue;
      if (row.kind === 'size') size += row.profiles;
      else if (row.k < length && row.kind === 'active') active[row.k]! += row.profiles;
      else if (row.k < length) {
        revenue[row.k]! += Number(row.revenue ?? 0);
        payers[row.k]! += row.profiles;
      }
    }
    let total = 0;
    return {
      start: (c === 0 ? grid.from : grid.start(c)).toISODate()!,
      size,
      revenue: revenue.map((value) => round(value)),
      payers,
      active,
      cumulativePerMember: revenue.map((value) => (size === 0 ? 0 : round((total += value) / size))),
      revenueRetention: revenue.map((value) => (revenue[0] === 0 ? null : round(value / revenue[0]!))),
      arpau: revenue.map((value, k) => (active[k] === 0 ? null : round(value / active[k]!))),
    };
  });
}

function checkRevenue(question: ValueRetentionQuestion, amount: { event: string; property: string }): void {
  const invalid = (field: string, rule: string) => new AnalyticsError(AnalyticsErrorCode.InvalidQuestion, `input.${field}: ${rule}`, `input.${field}`);
  if (amount.event.length === 0 || amount.event.length > 200) throw invalid('revenueEvent', 'must be an event name of 1 to 200 characters');
  const path = PropertyConditionSchema.shape.property;
  if (!path.safeParse(amount.property).success) throw invalid('amountProperty', 'must be a property name or a dot path of names (a.b.c), 1 to 200 characters');
  if (question.currency) {
    if (!path.safeParse(question.currency.property).success) throw invalid('currency.property', 'must be a property name or a dot path of names (a.b.c)');
    if (question.currency.value.length === 0 || question.currency.value.length > 16) throw invalid('currency.value', 'must be a currency code of 1 to 16 characters (e.g. INR)');
  }
}
