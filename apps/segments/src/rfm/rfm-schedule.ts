import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';
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
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly rfm: RfmService,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  /** Computes every project due at the clock's now; returns how many. Tests call it after moving the clock. */
  async runDue(): Promise<number> {
    let handled = 0;
    const seen = new Set<string>();
    for (;;) {
      const due = (await this.rfm.due(DUE_BATCH)).filter((projectId) => !seen.has(projectId));
      if (due.length === 0 || this.abort.signal.aborted) return handled;
      for (const projectId of due) {
        seen.add(projectId);
        await this.rfm.recompute(projectId, true);
        handled++;
      }
    }
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        await this.runDue();
        const next = await this.rfm.nextDue();
        await this.sleep(next ? Math.min(MAX_SLEEP_MS, Math.max(0, next.getTime() - this.clock.now().getTime())) : MAX_SLEEP_MS);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.logger.error({ err: error }, 'rfm schedule failed; retrying');
        await this.sleep(MAX_SLEEP_MS);
      }
    }
  }

  private async sleep(ms: number): Promise<void> {
    await Promise.race([sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined), new Promise<void>((resolve) => (this.wake = resolve))]);
  }
}
