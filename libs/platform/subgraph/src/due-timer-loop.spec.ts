import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@boomerang/platform/observability';
import { Clock } from './clock.js';
import { DueTimerLoop } from './due-timer-loop.js';

describe('DueTimerLoop', () => {
  const logger = createLogger('test', 'silent');

  it('runs what is due, sleeps until the next due time (at most maxSleepMs), and stops', async () => {
    let runs = 0;
    let next: Date | null = new Date(Date.now() + 30);
    const sut = new DueTimerLoop({
      name: 'spec',
      maxSleepMs: 1000,
      runDue: async () => {
        runs++;
      },
      nextDue: async () => {
        const due = next;
        next = null;
        return due;
      },
      clock: new Clock(),
      logger,
    });
    sut.start();
    await sleep(150);
    // Once at start, once when the next timer came due 30 ms later; then it sleeps up to 1 s.
    expect(runs).toBe(2);
    const stopping = Date.now();
    await sut.stop();
    expect(Date.now() - stopping).toBeLessThan(100);
    expect(sut.stopped).toBe(true);
  });

  it('logs a failure and tries again after maxSleepMs', async () => {
    let runs = 0;
    const sut = new DueTimerLoop({
      name: 'spec',
      maxSleepMs: 20,
      runDue: async () => {
        if (++runs === 1) throw new Error('database away');
      },
      nextDue: async () => null,
      clock: new Clock(),
      logger,
    });
    sut.start();
    await sleep(100);
    await sut.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
  });
});
