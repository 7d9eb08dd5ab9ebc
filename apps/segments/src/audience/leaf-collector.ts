import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';

/** A leaf no live segment holds, and that nothing made or touched for this long, is dropped. */
export const UNUSED_LEAF_TTL_MS = 7 * 86_400_000;
const COLLECT_EVERY_MS = 3_600_000;

/**
 * Drops leaves nothing uses any more, with their states, so the live path stops keeping them:
 * leaves of old versions, of archived segments, of estimates never saved. A leaf is kept while
 * the current version of a live segment holds it, and for a week after it was last made or
 * touched (`last_used_at`: estimates, saves, RFM's daily run), so a console's estimate is still
 * warm when the segment is saved.
 */
@Injectable()
export class LeafCollector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.collect().catch((error) => this.logger.error({ err: error }, 'collecting unused leaves failed')), COLLECT_EVERY_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Drops the unused leaves (every project's); returns how many. */
  async collect(): Promise<number> {
    const rows = (await this.dataSource.query(
      `DELETE FROM audience_leaf l
       WHERE l.last_used_at < $1
         AND NOT EXISTS (
           SELECT 1 FROM segment_leaf sl JOIN segment s ON s.id = sl.segment_id AND s.version = sl.version AND s.archived_at IS NULL
           WHERE sl.leaf_id = l.id)
       RETURNING l.id`,
      [new Date(this.clock.now().getTime() - UNUSED_LEAF_TTL_MS)],
    )) as [{ id: string }[], number];
    const dropped = rows[0].length;
    if (dropped) this.logger.info({ dropped }, 'unused leaves dropped');
    return dropped;
  }
}
