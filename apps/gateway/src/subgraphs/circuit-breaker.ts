export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerSettings {
  /** Consecutive failed fetches that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit refuses fetches before it lets one trial through. */
  readonly openMs: number;
}

/**
 * One subgraph's circuit: closed, fetches go out; after `failureThreshold` failures in a row it
 * opens and every fetch is refused at once for `openMs`, so no request waits on a subgraph that
 * is down; then half-open, one trial fetch goes out while the others are still refused, and its
 * outcome closes or re-opens the circuit.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;

  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly onStateChange: (state: CircuitState, previous: CircuitState) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt < this.settings.openMs ? 'open' : 'half-open';
  }

  /** Whether a fetch may go out now; each one let through must end in `succeeded` or `failed`. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** The subgraph answered (whatever it answered): it is there. */
  succeeded(): void {
    const previous = this.state;
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
    if (previous !== 'closed') this.onStateChange('closed', previous);
  }

  /** The subgraph did not answer (refused, lost, timed out, or said it is unavailable). */
  failed(): void {
    const previous = this.state;
    this.consecutiveFailures += 1;
    this.trialInFlight = false;
    if (previous === 'half-open' || (previous === 'closed' && this.consecutiveFailures >= this.settings.failureThreshold)) {
      this.openedAt = this.now();
      this.onStateChange('open', previous);
    }
  }
}
