import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Info } from 'luxon';
import type { DataSource, EntityManager } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';
import { uuidV7Floor } from './rollup-watermark.js';

/** A project's analytics settings: the time zone its days are counted in, and which event and property carry revenue. */
export interface AnalyticsSettings {
  timeZone: string;
  revenueEvent: string;
  revenueProperty: string;
  /** Set while a rebuild after a settings change is pending: events with smaller ids are the rebuild's (UUIDv7 floor). */
  rebuildBefore?: string | null;
  /** A rebuild of the rollups under the current settings is pending. */
  rebuilding?: boolean;
}

/** CleverTap's convention, which the data set and most commerce apps sending to it follow. */
export const DEFAULT_ANALYTICS_SETTINGS: AnalyticsSettings = { timeZone: 'UTC', revenueEvent: 'Charged', revenueProperty: 'Amount' };

/** The project's settings lock (parameter $1 = project id): writers of its rollups hold it shared, a settings change exclusively. */
export const SETTINGS_LOCK = `hashtextextended('analytics-settings:' || $1, 0)`;

interface SettingsRow {
  time_zone: string;
  revenue_event: string;
  revenue_property: string;
  rebuild_before: string | null;
  rebuilt_before: string | null;
}

/**
 * `analytics_settings`: read by every write into the rollups. A change once the project has
 * rollups asks for a rebuild (RollupRebuild): the rollups hold days and revenue of the old settings.
 */
@Injectable()
export class AnalyticsSettingsStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async get(manager: EntityManager, projectId: string): Promise<AnalyticsSettings> {
    const [row] = (await manager.query(`SELECT time_zone, revenue_event, revenue_property, rebuild_before, rebuilt_before FROM analytics_settings WHERE project_id = $1`, [
      projectId,
    ])) as SettingsRow[];
    if (!row) return { ...DEFAULT_ANALYTICS_SETTINGS, rebuildBefore: null, rebuilding: false };
    return {
      timeZone: row.time_zone,
      revenueEvent: row.revenue_event,
      revenueProperty: row.revenue_property,
      rebuildBefore: row.rebuild_before,
      rebuilding: row.rebuild_before !== null && row.rebuild_before !== row.rebuilt_before,
    };
  }

  async update(projectId: string, changes: Partial<AnalyticsSettings>): Promise<AnalyticsSettings> {
    if (changes.timeZone !== undefined && !isTimeZone(changes.timeZone)) {
      throw new AnalyticsError(AnalyticsErrorCode.InvalidSettings, `input.timeZone: must be an IANA time zone (e.g. Asia/Kolkata), not "${changes.timeZone}"`, 'input.timeZone');
    }
    return this.dataSource.transaction(async (manager) => {
      // Serialises with the rollup writers of the project: they read the settings in their transaction.
      await manager.query(`SELECT pg_advisory_xact_lock(${SETTINGS_LOCK})`, [projectId]);
      if (changes.timeZone !== undefined) {
        const [{ known }] = (await manager.query(`SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS known`, [changes.timeZone])) as [{ known: boolean }];
        if (!known) throw new AnalyticsError(AnalyticsErrorCode.InvalidSettings, `input.timeZone: PostgreSQL has no rules for "${changes.timeZone}"`, 'input.timeZone');
      }
      const [{ held }] = (await manager.query(`SELECT EXISTS (SELECT 1 FROM profile_first_seen WHERE project_id = $1) AS held`, [projectId])) as [{ held: boolean }];
      const current = await this.get(manager, projectId);
      const next = { ...current, ...changes };
      const changed = next.timeZone !== current.timeZone || next.revenueEvent !== current.revenueEvent || next.revenueProperty !== current.revenueProperty;
      // Rollups counted under the old settings are rebuilt from the events (RollupRebuild); events received from now on are folded under the new ones.
      const rebuildBefore = held && changed ? uuidV7Floor(this.clock.now().getTime()) : current.rebuildBefore ?? null;
      await manager.query(
        `INSERT INTO analytics_settings (project_id, time_zone, revenue_event, revenue_property, rebuild_before) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (project_id) DO UPDATE SET time_zone = $2, revenue_event = $3, revenue_property = $4, rebuild_before = $5, updated_at = now()`,
        [projectId, next.timeZone, next.revenueEvent, next.revenueProperty, rebuildBefore],
      );
      return { ...next, rebuildBefore, rebuilding: held && changed ? true : (current.rebuilding ?? false) };
    });
  }
}

/** An IANA zone luxon and PostgreSQL both know ('UTC' included); fixed offsets are refused, they have no DST rules. */
export function isTimeZone(zone: string): boolean {
  return zone.length <= 64 && /^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(zone) && Info.isValidIANAZone(zone);
}
