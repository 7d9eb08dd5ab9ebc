import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';
import {
  archiveName,
  archivedTables,
  ensureUpcomingPartitions,
  hasDefaultPartition,
  monthPartitions,
  monthStart,
  PARTITIONS_LOCK_KEY,
  releaseMessageIds,
  strayMonthTables,
} from './event-partitions.js';
import { EVENT_RETENTION_CONFIG, type EventRetentionConfig } from './event-retention-config.js';

const MONTHS_AHEAD = 3;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How far the clocks of the instances minting event ids may disagree. */
const ID_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Keeps monthly `event` partitions ready for the current month and the next three: on start and
 * then daily. Timestamps beyond them land in the DEFAULT partition and move out when their
 * month's partition is created. With `EVENTS_RETENTION_MONTHS`, the same upkeep detaches the
 * months older than that (see `detachOlderThan`).
 */
@Injectable()
export class EventPartitionManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(EVENT_RETENTION_CONFIG) private readonly config: EventRetentionConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensure();
    // Retention must not keep the service from starting (e.g. a lock timeout): logged, retried tomorrow.
    await this.applyRetention().catch((error) => this.logger.error({ err: error }, 'event partition retention failed'));
    this.timer = setInterval(() => void this.maintain().catch((error) => this.logger.error({ err: error }, 'event partition upkeep failed')), DAY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The daily upkeep: upcoming partitions, then retention. */
  async maintain(): Promise<void> {
    await this.ensure();
    await this.applyRetention();
  }

  ensure(): Promise<string[]> {
    return this.dataSource.transaction((manager) => ensureUpcomingPartitions(manager, this.clock.now(), MONTHS_AHEAD));
  }

  /** Detaches the months older than `EVENTS_RETENTION_MONTHS` full months before the current one (nothing when unset). */
  applyRetention(): Promise<string[]> {
    const months = this.config.EVENTS_RETENTION_MONTHS;
    return months ? this.detachOlderThan(monthStart(this.clock.now(), -months)) : Promise.resolve([]);
  }

  /**
   * Detaches every monthly partition whose events are all older than `olderThan`, and keeps each
   * as `event_archive_y<YYYY>m<MM>` (its rows stay there, out of every query on `event`). The
   * DEFAULT partition and the current month are never detached. Idempotent; returns the archive
   * names of what this call detached. `DETACH … CONCURRENTLY` (outside a transaction) when the
   * table has no DEFAULT partition; PostgreSQL refuses it when one exists, as it does here, and
   * then a plain DETACH takes the parent's lock briefly (bounded by a lock timeout).
   * The month's messageIds go with it (releaseMessageIds): released before the detach, without
   * holding the parent's lock, and those of events stored meanwhile with the rename.
   */
  async detachOlderThan(olderThan: Date): Promise<string[]> {
    const currentMonth = monthStart(this.clock.now());
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      // Session lock (a concurrent detach cannot run in a transaction).
      await runner.query(`SELECT pg_advisory_lock(${PARTITIONS_LOCK_KEY})`);
      try {
        const archived = await archivedTables(runner);
        const detached: string[] = [];
        // A detach whose rename was interrupted left a table under the partition name: archive it now.
        for (const stray of await strayMonthTables(runner)) detached.push(await this.archive(runner, stray, archived));
        const concurrently = !(await hasDefaultPartition(runner));
        for (const partition of await monthPartitions(runner)) {
          const end = monthStart(partition.month, 1);
          if (end > olderThan || end > currentMonth) continue;
          // Event ids are minted on the system clock (UUIDv7), not the injectable one.
          const releasedFrom = new Date(Date.now() - ID_CLOCK_SKEW_MS);
          await releaseMessageIds(runner, partition.name);
          if (partition.state === 'detach-pending') {
            await runner.query(`ALTER TABLE event DETACH PARTITION "${partition.name}" FINALIZE`);
          } else if (concurrently) {
            await runner.query(`ALTER TABLE event DETACH PARTITION "${partition.name}" CONCURRENTLY`);
          } else {
            await runner.startTransaction();
            try {
              await runner.query(`SET LOCAL lock_timeout = '10s'`);
              await runner.query(`ALTER TABLE event DETACH PARTITION "${partition.name}"`);
              await runner.commitTransaction();
            } catch (error) {
              await runner.rollbackTransaction();
              throw error;
            }
          }
          detached.push(await this.archive(runner, partition.name, archived, releasedFrom));
        }
        if (detached.length > 0) this.logger.info({ detached, olderThan: olderThan.toISOString() }, 'event partitions detached');
        return detached;
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(${PARTITIONS_LOCK_KEY})`);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * Renames a detached month to its archive name, releasing in the same transaction the messageIds
   * still claimed by its events: all of them, or those stored from `releasedFrom` on.
   */
  private async archive(runner: QueryRunner, table: string, taken: Set<string>, releasedFrom?: Date): Promise<string> {
    const name = archiveName(table, taken);
    await runner.startTransaction();
    try {
      await releaseMessageIds(runner, table, releasedFrom);
      await runner.query(`ALTER TABLE "${table}" RENAME TO "${name}"`);
      await runner.commitTransaction();
    } catch (error) {
      await runner.rollbackTransaction();
      throw error;
    }
    taken.add(name);
    return name;
  }
}
