/**
 * How many sends of one project are handed to SMTP at once (marked in flight, not yet answered).
 * Rounds are claimed and rendered ahead, so the pool never waits for the next claim; this keeps
 * only `high` of them committed in flight (a crash leaves at most that many `uncertain`). Once
 * full, it admits again when `low` are left, all the waiting it has room for at once, so their
 * in-flight marks commit together.
 */
export class SmtpGate {
  private readonly projects = new Map<string, { inFlight: number; full: boolean; waiters: (() => void)[] }>();

  constructor(private readonly limits: { high: number; low: number }) {}

  /** Waits for room; call the returned function when the SMTP attempt is over. */
  async enter(projectId: string): Promise<() => void> {
    let state = this.projects.get(projectId);
    if (!state) this.projects.set(projectId, (state = { inFlight: 0, full: false, waiters: [] }));
    const held = state;
    if (!held.full && held.waiters.length === 0 && held.inFlight < this.limits.high) {
      if (++held.inFlight >= this.limits.high) held.full = true;
    } else await new Promise<void>((resolve) => held.waiters.push(resolve));
    let left = false;
    return () => {
      if (left) return;
      left = true;
      held.inFlight--;
      if (held.inFlight <= this.limits.low) {
        held.full = false;
        while (held.inFlight < this.limits.high && held.waiters.length > 0) {
          held.inFlight++;
          held.waiters.shift()!();
        }
        if (held.inFlight >= this.limits.high) held.full = true;
      }
      if (held.inFlight === 0 && held.waiters.length === 0) this.projects.delete(projectId);
    };
  }
}
