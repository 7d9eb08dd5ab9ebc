import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';
import { ensureUpcomingPartitions } from './event-partitions.js';

const MONTHS_AHEAD = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Keeps monthly `event` partitions ready for the current month and the next three: on start and
 * then daily. Timestamps beyond them land in the DEFAULT partition and move out when their
 * month's partition is created.
 */
@Injectable()
export class EventPartitionManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensure();
    this.timer = setInterval(() => void this.ensure().catch((error) => this.logger.error({ err: error }, 'event partition upkeep failed')), DAY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  ensure(): Promise<string[]> {
    return this.dataSource.transaction((manager) => ensureUpcomingPartitions(manager, this.clock.now(), MONTHS_AHEAD));
  }
}
