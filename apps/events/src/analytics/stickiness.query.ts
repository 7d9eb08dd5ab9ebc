import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AnalyticsFilters, type AnalyticsFilter } from './analytics-filter.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { eventName, localRange } from './behaviour.js';
import { RetentionGrid } from './retention.js';

export interface StickinessQuestion {
  event?: string | null;
  from: string;
  to: string;
  filter?: AnalyticsFilter | null;
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

  async stickiness(projectId: string, question: StickinessQuestion): Promise<{ timeZone: string; days: StickinessDay[]; weeks: StickinessWeek[] }> {
    const settings = await this.settings.get(this.dataSource.manager, projectId);
    const { timeZone } = settings;
    const event = eventName(question.event, 'event');
    const range = localRange(question, timeZone, MAX_STICKINESS_DAYS);
    const weeks = new RetentionGrid('WEEK', 1, range.from, range.to);
    const params: unknown[] = [projectId, range.from.toISODate(), range.to.toISODate()];
    const scope = await this.filters.scope(projectId, settings, question.filter, null, params);
    const activity = scope.activity(event, { from: range.from.minus({ days: 29 }).toISODate()!, to: range.to.toISODate()! });
    const week = weeks.indexSql('day', params);
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL jit = off`);
      return (await manager.query(
        `WITH active AS MATERIALIZED (
           SELECT a.profile_id, a.day, lead(a.day) OVER (PARTITION BY a.profile_id ORDER BY a.day) AS next
           FROM ${activity} a WHERE ${scope.profileIn('a.profile_id')}
         ), deltas AS (
           SELECT day, 1 AS dau, 1 AS wau, 1 AS mau FROM active
           UNION ALL SELECT day + 1, -1, 0, 0 FROM active
           UNION ALL SELECT LEAST(day + 7, next), 0, -1, 0 FROM active
           UNION ALL SELECT LEAST(day + 30, next), 0, 0, -1 FROM active
         ), by_day AS (
           SELECT day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau FROM deltas GROUP BY day
         ), per_week AS (
           SELECT profile_id, ${week} AS w, count(*)::int AS days FROM active WHERE day >= $2::date GROUP BY 1, 2
         )
         SELECT d::date::text AS day, NULL::int AS w, NULL::int AS days,
           (SELECT COALESCE(sum(dau), 0) FROM by_day WHERE by_day.day <= d)::int AS dau,
           (SELECT COALESCE(sum(wau), 0) FROM by_day WHERE by_day.day <= d)::int AS wau,
           (SELECT COALESCE(sum(mau), 0) FROM by_day WHERE by_day.day <= d)::int AS mau
         FROM generate_series($2::date, $3::date - 1, interval '1 day') AS d
         UNION ALL
         SELECT NULL, w, days, count(*)::int, NULL, NULL FROM per_week GROUP BY w, days
         ORDER BY 1`,
        params,
      )) as { day: string | null; w: number | null; days: number | null; dau: number; wau: number; mau: number }[];
    });
    const rolling = rows.filter((row) => row.day !== null);
    const histogram = rows.filter((row) => row.day === null);
    return {
      timeZone,
      days: rolling.map(({ day, dau, wau, mau }) => ({ day: day!, dau, wau, mau, dauOverMau: mau === 0 ? 0 : Math.round((10_000 * dau) / mau) / 100 })),
      weeks: Array.from({ length: weeks.cohorts }, (_, w) => {
        const profilesByActiveDays = new Array<number>(7).fill(0);
        // (the profiles of a (week, active days) pair come back in the dau column)
        for (const row of histogram) if (row.w === w) profilesByActiveDays[row.days! - 1] = row.dau;
        return { start: (w === 0 ? range.from : weeks.start(w)).toISODate()!, profilesByActiveDays };
      }),
    };
  }
}
