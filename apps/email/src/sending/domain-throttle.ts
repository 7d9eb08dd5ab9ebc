import { setTimeout as sleep } from 'node:timers/promises';

export interface ThrottleLimits {
  /** Messages started per second to one recipient domain. */
  perSecond: number;
  /** Messages in flight at once to one recipient domain. */
  concurrent: number;
}

interface DomainState {
  inFlight: number;
  /** Earliest time the next message may start (ms epoch): spacing of 1/perSecond. */
  nextStartAt: number;
  waiters: (() => void)[];
}

/**
 * Paces sends per recipient domain (providers limit per sending IP and domain): at most
 * `perSecond` starts per second, evenly spaced, and `concurrent` in flight. nodemailer's own
 * rate limit is per connection (and deprecated), so pacing happens here, before the pool.
 */
export class DomainThrottle {
  private readonly domains = new Map<string, DomainState>();

  constructor(private readonly limits: ThrottleLimits) {}

  /** Waits for a slot; call the returned function when the message is done. */
  async acquire(domain: string): Promise<() => void> {
    const state = this.stateOf(domain);
    while (state.inFlight >= this.limits.concurrent) await new Promise<void>((resolve) => state.waiters.push(resolve));
    state.inFlight++;
    const now = Date.now();
    const startAt = Math.max(now, state.nextStartAt);
    state.nextStartAt = startAt + 1000 / this.limits.perSecond;
    if (startAt > now) await sleep(startAt - now);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.inFlight--;
      state.waiters.shift()?.();
      if (state.inFlight === 0 && state.waiters.length === 0 && state.nextStartAt <= Date.now()) this.domains.delete(domain);
    };
  }

  private stateOf(domain: string): DomainState {
    let state = this.domains.get(domain);
    if (!state) this.domains.set(domain, (state = { inFlight: 0, nextStartAt: 0, waiters: [] }));
    return state;
  }
}
