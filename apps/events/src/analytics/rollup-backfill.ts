import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { numericValueSql } from '@boomerang/audience';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER } from '@boomerang/platform/subgraph';
import { DEFAULT_ANALYTICS_SETTINGS } from './analytics-settings.js';
import { uuidV7Floor } from './rollup.consumers.js';
import { Rollups } from './rollups.js';

/** Ingest transactions minting ids before the watermark have committed this long after it. */
export const BACKFILL_SETTLE_MS = 30_000;
/** How often events waiting for their profile are looked up again (a fallback: an identify folds its own at once). */
const LINKED_SWEEP_MS = 60_000;

interface BackfillState {
  watermark: Date;
  done_partitions: string[];
  completed_at: Date | null;
}

export interface BackfillReport {
  partitions: number;
  events: number;
  seconds: number;
}

/**
 * One-time backfill of the rollups from the `event` table: every event received before the
 * watermark, one monthly partition per transaction (the partition is recorded done in it, so a
 * restart resumes after the last one and never folds a partition twice). Also sweeps, every minute,
 * the events that waited for a profile their ids now have.
 */
@Injectable()
export class RollupBackfill implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly abort = new AbortController();
  private running?: Promise<unknown>;
  private sweep?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rollups: Rollups,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run().catch((error) => {
      if (!this.abort.signal.aborted) this.logger.error({ err: error }, 'analytics rollup backfill failed; it resumes on the next start');
    });
    this.sweep = setInterval(() => {
      this.dataSource
        .transaction((manager) => this.rollups.applyLinked(manager))
        .catch((error) => this.logger.warn({ err: error }, 'analytics: applying events that waited for their profile failed'));
    }, LINKED_SWEEP_MS);
    this.sweep.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    this.abort.abort();
    await this.running;
  }

  /** Backfills what is left (nothing once done); waits until `settleMs` after the watermark first. */
  async run({ settleMs = BACKFILL_SETTLE_MS } = {}): Promise<BackfillReport> {
    const started = performance.now();
    const state = await this.state(this.dataSource.manager);
    const report = { partitions: 0, events: 0, seconds: 0 };
    if (state.completed_at) return report;
    const wait = state.watermark.getTime() + settleMs - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: this.abort.signal });
    await this.dataSource.query(`UPDATE analytics_backfill SET started_at = COALESCE(started_at, now())`);
    for (const partition of await this.partitions()) {
      if (this.abort.signal.aborted) return report;
      const events = await this.dataSource.transaction(async (manager) => {
        const current = await this.state(manager, true);
        if (current.done_partitions.includes(partition)) return null;
        const applied = await this.backfillPartition(manager, partition, current.watermark);
        await manager.query(`UPDATE analytics_backfill SET done_partitions = array_append(done_partitions, $1)`, [partition]);
        return applied;
      });
      if (events === null) continue;
      report.partitions++;
      report.events += events;
      this.logger.info({ partition, events }, 'analytics: partition folded into the rollups');
    }
    await this.dataSource.query(`UPDATE analytics_backfill SET completed_at = now() WHERE completed_at IS NULL`);
    report.seconds = (performance.now() - started) / 1000;
    this.logger.info(report, 'analytics: rollup backfill done');
    return report;
  }

  /** One partition's events received before the watermark, one statement per revenue setting in use (the amount's path is part of the SQL). */
  private async backfillPartition(manager: EntityManager, partition: string, watermark: Date): Promise<number> {
    await manager.query(`SET LOCAL jit = off`);
    const settings = (await manager.query(`SELECT DISTINCT revenue_event, revenue_property FROM analytics_settings`)) as { revenue_event: string; revenue_property: string }[];
    const groups = [{ revenue_event: DEFAULT_ANALYTICS_SETTINGS.revenueEvent, revenue_property: DEFAULT_ANALYTICS_SETTINGS.revenueProperty }, ...settings].filter(
      (group, index, all) => all.findIndex((other) => other.revenue_event === group.revenue_event && other.revenue_property === group.revenue_property) === index,
    );
    let applied = 0;
    for (const [index, group] of groups.entries()) {
      const params: unknown[] = [uuidV7Floor(watermark.getTime()), group.revenue_event, group.revenue_property];
      const amount = numericValueSql(group.revenue_property, 'e.properties', params);
      const source = `SELECT e.project_id, e.id AS event_id, e.profile_id, e.user_id, e.anonymous_id, e."timestamp" AS ts, e.name,
          CASE WHEN e.name = $2 THEN ${amount} END::numeric AS revenue
        FROM "${partition}" e LEFT JOIN analytics_settings s ON s.project_id = e.project_id
        WHERE e.id < $1::uuid AND ${index === 0 ? '(s.project_id IS NULL OR ' : '('}(s.revenue_event = $2 AND s.revenue_property = $3))`;
      applied += await this.rollups.applySource(manager, source, params);
    }
    return applied;
  }

  private async state(manager: EntityManager, lock = false): Promise<BackfillState> {
    const [state] = (await manager.query(`SELECT watermark, done_partitions, completed_at FROM analytics_backfill${lock ? ' FOR UPDATE' : ''}`)) as [BackfillState];
    return state;
  }

  private async partitions(): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
       WHERE p.relname = 'event' AND n.nspname = current_schema() ORDER BY c.relname`,
    )) as { name: string }[];
    return rows.map((row) => row.name);
  }
}
