import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AnalyticsFilters, breakdownGroups, MAX_BREAKDOWN_GROUPS, type AnalyticsBreakdown, type AnalyticsFilter, type BreakdownGroup } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { eventName, localRange } from './behaviour.js';
import { RetentionGrid } from './retention.js';
import { analyticsSession } from './analytics-session.js';

export interface StickinessQuestion {
  event?: string | null;
  from: string;
  to: string;
  filter?: AnalyticsFilter | null;
  breakdown?: AnalyticsBreakdown | null;
}

export interface StickinessDay {
  day: string;
  dau: number;
  wau: number;
  mau: number;
  /** DAU / MAU in percent (two decimals). */
  dauOverMau: number;
}

export interface StickinessWeek {
  /** Its first local day in the range (the Monday, or `from`). */
  start: string;
  /** profilesByActiveDays[d − 1]: profiles active on exactly d days of the week (d = 1…7). */
  profilesByActiveDays: number[];
}

export interface StickinessSeries {
  days: StickinessDay[];
  weeks: StickinessWeek[];
}

export interface StickinessAnswer extends StickinessSeries {
  timeZone: string;
  /** The same per breakdown group (profiles: active in the range), largest first; null without a breakdown. */
  breakdown: (BreakdownGroup & StickinessSeries)[] | null;
}

interface Row {
  g: string | null;
  other: boolean;
  profiles: number;
  day: string | null;
  w: number | null;
  days: number | null;
  dau: number;
  wau: number | null;
  mau: number | null;
}

/** Most days a stickiness question spans. */
const MAX_STICKINESS_DAYS = 400;

/**
 * Stickiness from `profile_day` (or `profile_day_event` for one event; the raw events under the
 * filter's event conditions, through AnalyticsScope.activity): per local day the profiles
 * active that day (DAU), in the 7 days ending then (WAU) and the 30 days ending then (MAU), and per
 * ISO week how many profiles were active on 1…7 of its days. Rolling distinct counts in one pass:
 * each active day covers the days up to the next active day of the profile or the window's end,
 * so a profile adds +1 when a cover starts and −1 when it ends, and a running sum gives the count.
 */
@Injectable()
export class StickinessQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly filters: AnalyticsFilters,
  ) {}

  async stickiness(projectId: string, question: StickinessQuestion): Promise<StickinessAnswer> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const event = eventName(question.event, 'event');
    const range = localRange(question, timeZone, MAX_STICKINESS_DAYS);
    const weeks = new RetentionGrid('WEEK', 1, range.from, range.to);
    const params: unknown[] = [projectId, range.from.toISODate(), range.to.toISODate()];
    const scope = await this.filters.scope(projectId, settings, question.filter, question.breakdown, params);
    const activity = scope.activity(event, { from: range.from.minus({ days: 29 }).toISODate()!, to: range.to.toISODate()! });
    const week = weeks.indexSql('day', params);
    // A profile's group: its property, or the property on its first event (or first `event`): its acquisition source.
    const firsts = scope.breakdown?.eventProperty ? ` LEFT JOIN ${scope.firsts(event)} f ON f.profile_id = a.profile_id` : '';
    const group = scope.groupOf('a.profile_id', firsts ? 'f.value' : 'NULL::text');
    const rows = await this.dataSource.transaction(async (manager) => {
      await analyticsSession(manager);
      return (await manager.query(
        `WITH grouped AS MATERIALIZED (
           SELECT a.profile_id, a.day, ${group} AS g FROM ${activity} a${firsts} WHERE ${scope.profileIn('a.profile_id')}
         ), ranks AS (
           SELECT g, row_number() OVER (ORDER BY count(DISTINCT profile_id) FILTER (WHERE day >= $2::date) DESC, g NULLS LAST) > ${MAX_BREAKDOWN_GROUPS} AS other,
             count(DISTINCT profile_id) FILTER (WHERE day >= $2::date) AS profiles
           FROM grouped GROUP BY g
         ), active AS MATERIALIZED (
           SELECT p.profile_id, p.day, CASE WHEN r.other THEN NULL ELSE p.g END AS g, r.other,
             lead(p.day) OVER (PARTITION BY p.profile_id ORDER BY p.day) AS next
           FROM grouped p JOIN ranks r ON r.g IS NOT DISTINCT FROM p.g
         ), deltas AS (
           SELECT g, other, day, 1 AS dau, 1 AS wau, 1 AS mau FROM active
           UNION ALL SELECT g, other, day + 1, -1, 0, 0 FROM active
           UNION ALL SELECT g, other, LEAST(day + 7, next), 0, -1, 0 FROM active
           UNION ALL SELECT g, other, LEAST(day + 30, next), 0, 0, -1 FROM active
         ), by_day AS (
           SELECT g, other, day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau FROM deltas GROUP BY g, other, day
         ), per_week AS (
           SELECT profile_id, g, other, ${week} AS w, count(*)::int AS days FROM active WHERE day >= $2::date GROUP BY 1, 2, 3, 4
         ), groups AS (
           SELECT CASE WHEN other THEN NULL ELSE g END AS g, other, sum(profiles)::int AS profiles FROM ranks GROUP BY 1, 2 HAVING sum(profiles) > 0
         )
         SELECT gr.g, gr.other, gr.profiles, d::date::text AS day, NULL::int AS w, NULL::int AS days,
           (SELECT COALESCE(sum(dau), 0) FROM by_day b WHERE b.g IS NOT DISTINCT FROM gr.g AND b.other = gr.other AND b.day <= d)::int AS dau,
           (SELECT COALESCE(sum(wau), 0) FROM by_day b WHERE b.g IS NOT DISTINCT FROM gr.g AND b.other = gr.other AND b.day <= d)::int AS wau,
           (SELECT COALESCE(sum(mau), 0) FROM by_day b WHERE b.g IS NOT DISTINCT FROM gr.g AND b.other = gr.other AND b.day <= d)::int AS mau
         FROM groups gr CROSS JOIN generate_series($2::date, $3::date - 1, interval '1 day') AS d
         UNION ALL
         SELECT g, other, 0, NULL, w, days, count(*)::int, NULL, NULL FROM per_week GROUP BY g, other, w, days
         ORDER BY 4`,
        params,
      )) as Row[];
    });
    const answer = (part: readonly Row[]) => {
      const totals = new Map<string, { dau: number; wau: number; mau: number }>();
      for (const row of part) {
        if (row.day === null) continue;
        const known = totals.get(row.day) ?? { dau: 0, wau: 0, mau: 0 };
        totals.set(row.day, { dau: known.dau + row.dau, wau: known.wau + row.wau!, mau: known.mau + row.mau! });
      }
      const days = Array.from({ length: range.days }, (_, i) => range.from.plus({ days: i }).toISODate()!);
      return {
        days: days.map((day) => {
          const { dau, wau, mau } = totals.get(day) ?? { dau: 0, wau: 0, mau: 0 };
          return { day, dau, wau, mau, dauOverMau: mau === 0 ? 0 : Math.round((10_000 * dau) / mau) / 100 };
        }),
        weeks: Array.from({ length: weeks.cohorts }, (_, w) => {
          const profilesByActiveDays = new Array<number>(7).fill(0);
          // (the profiles of a (week, active days) pair come back in the dau column)
          for (const row of part) if (row.day === null && row.w === w) profilesByActiveDays[row.days! - 1] += row.dau;
          return { start: (w === 0 ? range.from : weeks.start(w)).toISODate()!, profilesByActiveDays };
        }),
      };
    };
    return {
      timeZone,
      ...answer(rows),
      breakdown: scope.breakdown ? breakdownGroups(rows, (row) => row.day === range.from.toISODate()).map(({ group, rows: part }) => ({ ...group, ...answer(part) })) : null,
    };
  }
}
