import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, DueTimerLoop, LOGGER } from '@boomerang/platform/subgraph';
import { LeafCatalog } from './leaf-catalog.js';
import { LeafHits } from './leaf-hits.js';
import { ProfileEvaluation, type ProfileChange } from './profile-evaluation.js';

/** Most due states handled in one transaction. */
const DUE_BATCH = 500;
/** Longest sleep: a timer set by another process (or a clock jump) is noticed within this. */
const MAX_SLEEP_MS = 1000;

/**
 * Durable timers for time windows: every leaf state whose verdict can change with time alone
 * carries `recheck_at` (when a hit leaves a sliding window, when "first done in the last 7 days"
 * lapses, when "last done more than 30 days ago" comes true). This loop sleeps until the earliest
 * one (indexed), re-judges the due states, and writes the exits and entries they cause, so a
 * profile leaves "did E in the last 7 days" when its last E turns 7 days old, with no new event
 * and no periodic recompute. Due rows are claimed with SKIP LOCKED, so several processes share them;
 * timers survive restarts because they are rows.
 */
@Injectable()
export class LeafTimers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: DueTimerLoop;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: LeafCatalog,
    private readonly hits: LeafHits,
    private readonly evaluation: ProfileEvaluation,
    private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.loop = new DueTimerLoop({
      name: 'leaf timers',
      maxSleepMs: MAX_SLEEP_MS,
      runDue: () => this.runDue(),
      nextDue: async () => {
        const [next] = (await this.dataSource.query(`SELECT min(recheck_at) AS at FROM leaf_state WHERE recheck_at IS NOT NULL`)) as { at: Date | null }[];
        return next?.at ? new Date(next.at) : null;
      },
      clock,
      logger,
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** Handles every state due at the clock's now; returns how many. Tests call it after moving the clock. */
  async runDue(): Promise<number> {
    let handled = 0;
    for (;;) {
      const count = await this.runBatch();
      handled += count;
      if (count < DUE_BATCH) return handled;
    }
  }

  private async runBatch(): Promise<number> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      const due = (await manager.query(
        `SELECT project_id, leaf_id, profile_id FROM leaf_state WHERE recheck_at <= $1 ORDER BY recheck_at LIMIT ${DUE_BATCH} FOR UPDATE SKIP LOCKED`,
        [now],
      )) as { project_id: string; leaf_id: string; profile_id: string }[];
      const byProject = new Map<string, { leafId: string; profileId: string }[]>();
      for (const row of due) byProject.set(row.project_id, [...(byProject.get(row.project_id) ?? []), { leafId: row.leaf_id, profileId: row.profile_id }]);
      for (const [projectId, pairs] of byProject) {
        await this.catalog.lockShared(manager, projectId);
        const catalog = await this.catalog.live(manager, projectId);
        const changed = await this.hits.rejudge(manager, projectId, catalog.leaves, pairs, now.getTime());
        const changes = new Map<string, ProfileChange>([...changed].map(([profileId, change]) => [profileId, { leafIds: change.leafIds, cause: 'timer', eventId: null }]));
        await this.evaluation.evaluate(manager, projectId, catalog, changes, now);
      }
      return due.length;
    });
  }
}
