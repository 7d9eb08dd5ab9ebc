import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { numericValueSql } from '@boomerang/audience';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';
import { SETTINGS_LOCK } from './analytics-settings.js';
import { BACKFILL_SETTLE_MS } from './rollup-backfill.js';
import { receivedAt, uuidV7Floor } from './rollup-watermark.js';
import { PROFILE_ROLLUP_TABLES, Rollups } from './rollups.js';

/** How often pending rebuilds are looked for. */
const REBUILD_SWEEP_MS = 5_000;

/**
 * Rebuilds a project's rollups after its analytics settings changed (time zone, revenue event or
 * property): once ingest transactions that minted ids before the change have committed (the
 * backfill's settle time), one transaction under the project's settings lock deletes the project's
 * rollup rows and waiting events from before the change and folds its events before the change
 * again from the `event` table (not those the backfill has yet to fold), then the events the
 * consumer parked since the change. The consumer leaves events before the change to the rebuild
 * and parks later ones while it is pending, so each event counts once.
 */
@Injectable()
export class RollupRebuild implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sweep?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rollups: Rollups,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep = setInterval(() => {
      if (this.running) return;
      this.running = this.rebuildDue()
        .catch((error) => this.logger.warn({ err: error }, 'analytics: rebuilding rollups after a settings change failed; retried'))
        .finally(() => (this.running = undefined));
    }, REBUILD_SWEEP_MS);
    this.sweep.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    await this.running;
  }

  /** Rebuilds every project whose settings changed at least `settleMs` ago and were not rebuilt since; returns the events folded per project. */
  async rebuildDue({ settleMs = BACKFILL_SETTLE_MS } = {}): Promise<Map<string, number>> {
    const due = (await this.dataSource.query(
      `SELECT project_id, rebuild_before FROM analytics_settings WHERE rebuild_before IS DISTINCT FROM rebuilt_before AND rebuild_before IS NOT NULL`,
    )) as { project_id: string; rebuild_before: string }[];
    const done = new Map<string, number>();
    for (const { project_id: projectId, rebuild_before: before } of due) {
      if (receivedAt(before) + settleMs > this.clock.now().getTime()) continue;
      done.set(projectId, await this.rebuild(projectId, before));
    }
    return done;
  }

  private async rebuild(projectId: string, before: string): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL jit = off`);
      await manager.query(`SELECT pg_advisory_xact_lock(${SETTINGS_LOCK})`, [projectId]);
      const [settings] = (await manager.query(`SELECT revenue_event, revenue_property, rebuild_before FROM analytics_settings WHERE project_id = $1`, [projectId])) as {
        revenue_event: string;
        revenue_property: string;
        rebuild_before: string;
      }[];
      // Changed again meanwhile: the next sweep rebuilds to the newer point.
      if (!settings || settings.rebuild_before !== before) return 0;
      // Serialises with the backfill: partitions it has not folded yet keep their older events for it.
      const [backfill] = (await manager.query(`SELECT watermark, done_partitions, completed_at FROM analytics_backfill FOR UPDATE`)) as {
        watermark: Date;
        done_partitions: string[];
        completed_at: Date | null;
      }[];
      for (const table of PROFILE_ROLLUP_TABLES) {
        await manager.query(`DELETE FROM ${table} WHERE project_id = $1`, [projectId]);
      }
      await manager.query(`DELETE FROM analytics_unlinked WHERE project_id = $1 AND event_id < $2::uuid`, [projectId, before]);
      const partitions = (await manager.query(
        `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE p.relname = 'event' AND n.nspname = current_schema() ORDER BY c.relname`,
      )) as { name: string }[];
      let applied = 0;
      for (const { name } of partitions) {
        const backfilled = backfill!.completed_at !== null || backfill!.done_partitions.includes(name);
        const params: unknown[] = [projectId, before, settings.revenue_event];
        const amount = numericValueSql(settings.revenue_property, 'e.properties', params);
        if (!backfilled) params.push(uuidV7Floor(backfill!.watermark.getTime()));
        applied += await this.rollups.applySource(
          manager,
          `SELECT e.project_id, e.id AS event_id, e.profile_id, e.user_id, e.anonymous_id, e."timestamp" AS ts, e.name,
             CASE WHEN e.name = $3 THEN ${amount} END::numeric AS revenue
           FROM "${name}" e WHERE e.project_id = $1 AND e.id < $2::uuid${backfilled ? '' : ` AND e.id >= $${params.length}::uuid`}`,
          params,
        );
      }
      // Then the events the consumer parked since the change (older parked ones are in the table, folded above).
      applied += await this.rollups.applySource(
        manager,
        `SELECT project_id, event_id, profile_id, user_id, anonymous_id, "timestamp" AS ts, name, revenue FROM analytics_rebuild_parked WHERE project_id = $1 AND event_id >= $2::uuid`,
        [projectId, before],
      );
      await manager.query(`DELETE FROM analytics_rebuild_parked WHERE project_id = $1`, [projectId]);
      await manager.query(`UPDATE analytics_settings SET rebuilt_before = $2 WHERE project_id = $1`, [projectId, before]);
      this.logger.info({ projectId, events: applied }, 'analytics: rollups rebuilt under the new settings');
      return applied;
    });
  }
}
