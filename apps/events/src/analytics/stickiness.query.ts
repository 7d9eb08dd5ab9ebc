import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { eventName, localRange } from './behaviour.js';
import { RetentionGrid } from './retention.js';

export interface StickinessQuestion {
  event?: string | null;
  from: string;
  to: string;
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
 * Stickiness from `profile_day` (or `profile_day_event` for one event): per local day the profiles
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
  ) {}

  async stickiness(projectId: string, question: StickinessQuestion): Promise<{ timeZone: string; days: StickinessDay[]; weeks: StickinessWeek[] }> {
    const { timeZone } = await this.settings.get(this.dataSource.manager, projectId);
    const event = eventName(question.event, 'event');
    const range = localRange(question, timeZone, MAX_STICKINESS_DAYS);
    const weeks = new RetentionGrid('WEEK', 1, range.from, range.to);
    const params: unknown[] = [projectId, range.from.toISODate(), range.to.toISODate()];
    const source = event ? `profile_day_event WHERE project_id = $1 AND name = $${params.push(event)} AND` : `profile_day WHERE project_id = $1 AND`;
    const weekParams = [...params];
    const week = weeks.indexSql('day', weekParams);
    const [rolling, histogram] = await this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      await manager.query(`SET LOCAL jit = off`);
      const rolling = (await manager.query(
        `WITH active AS (
           SELECT profile_id, day, lead(day) OVER (PARTITION BY profile_id ORDER BY day) AS next
           FROM ${source} day >= $2::date - 29 AND day < $3::date
         ), deltas AS (
           SELECT day, 1 AS dau, 1 AS wau, 1 AS mau FROM active
           UNION ALL SELECT day + 1, -1, 0, 0 FROM active
           UNION ALL SELECT LEAST(day + 7, next), 0, -1, 0 FROM active
           UNION ALL SELECT LEAST(day + 30, next), 0, 0, -1 FROM active
         ), by_day AS (
           SELECT day, sum(dau) AS dau, sum(wau) AS wau, sum(mau) AS mau FROM deltas WHERE day IS NOT NULL GROUP BY day
         )
         SELECT d::date::text AS day,
           (SELECT COALESCE(sum(dau), 0) FROM by_day WHERE by_day.day <= d)::int AS dau,
           (SELECT COALESCE(sum(wau), 0) FROM by_day WHERE by_day.day <= d)::int AS wau,
           (SELECT COALESCE(sum(mau), 0) FROM by_day WHERE by_day.day <= d)::int AS mau
         FROM generate_series($2::date, $3::date - 1, interval '1 day') AS d ORDER BY d`,
        params,
      )) as { day: string; dau: number; wau: number; mau: number }[];
      const histogram = (await manager.query(
        `SELECT w, days, count(*)::int AS profiles FROM (
           SELECT profile_id, ${week} AS w, count(*)::int AS days FROM ${source} day >= $2::date AND day < $3::date GROUP BY 1, 2
         ) per_week GROUP BY w, days`,
        weekParams,
      )) as { w: number; days: number; profiles: number }[];
      return [rolling, histogram] as const;
    });
    return {
      timeZone,
      days: rolling.map((row) => ({ ...row, dauOverMau: row.mau === 0 ? 0 : Math.round((10_000 * row.dau) / row.mau) / 100 })),
      weeks: Array.from({ length: weeks.cohorts }, (_, w) => {
        const profilesByActiveDays = new Array<number>(7).fill(0);
        for (const row of histogram) if (row.w === w) profilesByActiveDays[row.days - 1] = row.profiles;
        return { start: (w === 0 ? range.from : weeks.start(w)).toISODate()!, profilesByActiveDays };
      }),
    };
  }
}
