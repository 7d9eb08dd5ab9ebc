import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';
import { LeafCatalog } from './leaf-catalog.js';

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
    private readonly catalog: LeafCatalog,
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

  /** Drops the unused leaves (every project's) with their states; returns how many. */
  async collect(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - UNUSED_LEAF_TTL_MS);
    const projects = (await this.dataSource.query(`SELECT DISTINCT project_id FROM audience_leaf WHERE last_used_at < $1`, [cutoff])) as { project_id: string }[];
    let dropped = 0;
    for (const { project_id: projectId } of projects) {
      dropped += await this.dataSource.transaction(async (manager) => {
        // Live batches write states under the project's lock shared: none is between reading a leaf and writing its states.
        await this.catalog.lockExclusive(manager, projectId);
        const [rows] = (await manager.query(
          `DELETE FROM audience_leaf l
           WHERE l.project_id = $1 AND l.last_used_at < $2
             AND NOT EXISTS (
               SELECT 1 FROM segment_leaf sl JOIN segment s ON s.id = sl.segment_id AND s.version = sl.version AND s.archived_at IS NULL
               WHERE sl.leaf_id = l.id)
           RETURNING l.id`,
          [projectId, cutoff],
        )) as [{ id: string }[], number];
        if (rows.length) await manager.query(`DELETE FROM leaf_state WHERE project_id = $1 AND leaf_id = ANY($2::uuid[])`, [projectId, rows.map((row) => row.id)]);
        return rows.length;
      });
    }
    if (dropped) this.logger.info({ dropped }, 'unused leaves dropped');
    return dropped;
  }
}
