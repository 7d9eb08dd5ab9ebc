import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@boomerang/platform/observability';
import type { Clock } from './clock.js';

export interface DueTimerLoopOptions {
  /** Names the loop in logs. */
  readonly name: string;
  /** Longest sleep: timers another process set (or a clock jump) are noticed within it. */
  readonly maxSleepMs: number;
  /** Handles everything due at the clock's now. */
  runDue(): Promise<unknown>;
  /** When the next timer is due (null: none). */
  nextDue(): Promise<Date | null>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The loop over durable timers kept as rows (a due time per row, indexed): it handles what is
 * due, sleeps until the next one (at most `maxSleepMs`), and again, until stopped; a failure is
 * logged and retried after `maxSleepMs`. The rows are the timers, so a restart loses none.
 */
export class DueTimerLoop {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly options: DueTimerLoopOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const { maxSleepMs, clock, logger, name } = this.options;
    while (!this.abort.signal.aborted) {
      try {
        await this.options.runDue();
        const next = await this.options.nextDue();
        await this.sleep(next ? Math.min(maxSleepMs, Math.max(0, next.getTime() - clock.now().getTime())) : maxSleepMs);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        logger.error({ err: error }, `${name} failed; retrying`);
        await this.sleep(maxSleepMs);
      }
    }
  }

  private async sleep(ms: number): Promise<void> {
    await Promise.race([sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined), new Promise<void>((resolve) => (this.wake = resolve))]);
  }
}
