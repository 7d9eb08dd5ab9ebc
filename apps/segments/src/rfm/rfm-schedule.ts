import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, DueTimerLoop, LOGGER } from '@boomerang/platform/subgraph';
import { RfmService } from './rfm.service.js';

/** Longest sleep: a configuration saved by another process (or a clock jump) is noticed within this. */
const MAX_SLEEP_MS = 10_000;
const DUE_BATCH = 20;

/**
 * The daily recompute, as a durable timer: each configuration row carries `next_run_at` (the next
 * `recomputeAt` in its zone, or a retry after a failure). This loop sleeps until the earliest and
 * computes the due projects. The row is the timer, so a run missed while no process was up happens
 * at the next start; each computation locks its row and skips a project another process has
 * computed meanwhile, so several processes share the work without running a project twice.
 */
@Injectable()
export class RfmSchedule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: DueTimerLoop;

  constructor(
    private readonly rfm: RfmService,
    clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.loop = new DueTimerLoop({ name: 'rfm schedule', maxSleepMs: MAX_SLEEP_MS, runDue: () => this.runDue(), nextDue: () => this.rfm.nextDue(), clock, logger });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** Computes every project due at the clock's now; returns how many. Tests call it after moving the clock. */
  async runDue(): Promise<number> {
    let handled = 0;
    const seen = new Set<string>();
    for (;;) {
      const due = (await this.rfm.due(DUE_BATCH)).filter((projectId) => !seen.has(projectId));
      if (due.length === 0 || this.loop.stopped) return handled;
      for (const projectId of due) {
        seen.add(projectId);
        await this.rfm.recompute(projectId, true);
        handled++;
      }
    }
  }
}
