import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { retentionGrid, retentionMatrix, type RetentionCohortAnswer, type RetentionQuestion } from './retention.js';

/**
 * Retention answered from the rollups only: cohorts from `profile_first_seen` (or
 * `profile_first_event` for a start event) by their index on the grid, returns from `profile_day`
 * (or `profile_day_event`) of those profiles in the window, each (profile, interval) once.
 */
@Injectable()
export class RetentionQuery {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: AnalyticsSettingsStore,
    private readonly clock: Clock,
  ) {}

  async retention(projectId: string, question: RetentionQuestion): Promise<{ timeZone: string; cohorts: RetentionCohortAnswer[] }> {
    const { timeZone } = await this.settings.get(this.dataSource.manager, projectId);
    const grid = retentionGrid(question, timeZone);
    const mode = question.mode ?? 'CLASSIC';
    const today = DateTime.fromJSDate(this.clock.now(), { zone: timeZone }).startOf('day');
    const end = grid.start(grid.cohorts - 1 + question.intervals);
    const params: unknown[] = [projectId, grid.from.toISODate(), grid.to.toISODate(), end.toISODate(), question.intervals];
    const cohortSource = question.startEvent
      ? `profile_first_event WHERE project_id = $1 AND name = $${params.push(question.startEvent)} AND`
      : `profile_first_seen WHERE project_id = $1 AND`;
    const activity = question.returnEvent ? `profile_day_event a ON a.project_id = $1 AND a.name = $${params.push(question.returnEvent)} AND` : `profile_day a ON a.project_id = $1 AND`;
    const cohortIndex = grid.indexSql('first_day', params);
    const dayIndex = grid.indexSql('a.day', params);
    const counted =
      mode === 'CLASSIC'
        ? `SELECT c, k, count(*)::int AS profiles FROM returned GROUP BY c, k`
        : `SELECT c, k, count(*)::int AS profiles FROM (SELECT c, max(k) AS k FROM returned GROUP BY profile_id, c) last GROUP BY c, k`;
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL jit = off`);
      return (await manager.query(
        `WITH cohort AS MATERIALIZED (
           SELECT profile_id, ${cohortIndex} AS c FROM ${cohortSource} first_day >= $2::date AND first_day < $3::date
         ), returned AS (
           SELECT DISTINCT h.profile_id, h.c, ${dayIndex} - h.c AS k
           FROM cohort h JOIN ${activity} a.profile_id = h.profile_id
           WHERE a.day >= $2::date AND a.day < $4::date AND ${dayIndex} - h.c BETWEEN 0 AND $5::int - 1
         )
         SELECT c, k, profiles FROM (${counted}) counted
         UNION ALL SELECT c, -1, count(*)::int FROM cohort GROUP BY c`,
        params,
      )) as { c: number; k: number; profiles: number }[];
    });
    const sizes = rows.filter((row) => row.k === -1);
    const returned = rows.filter((row) => row.k !== -1);
    return { timeZone, cohorts: retentionMatrix(grid, question.intervals, mode, sizes, returned, today) };
  }
}
