/** The earliest instant a sender's date-time or an event's time may name: anything earlier is a broken clock or a unit mistake, never a user's action. */
export const EARLIEST_INSTANT = Date.UTC(1900, 0, 1);
/** The latest instant a sender's date-time may name: the last one with a four-digit year (what ISO 8601 text and PostgreSQL's input hold). */
export const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** How far after its receipt an event may be dated: further is a sender's bug that would top every timeline and match every "in the last n days" until then. */
export const MAX_EVENT_TIME_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

export const INSTANT_RANGE_RULE = `must be from ${new Date(EARLIEST_INSTANT).toISOString()} to ${new Date(LATEST_INSTANT).toISOString()}`;

/** The rule an event dated `time` (epoch ms, on our clock) and received at `receivedAt` breaks, or undefined. */
export function eventTimeRuleBroken(time: number, receivedAt: Date): string | undefined {
  if (time < EARLIEST_INSTANT) return `must not be before ${new Date(EARLIEST_INSTANT).toISOString()}`;
  if (time > receivedAt.getTime() + MAX_EVENT_TIME_AHEAD_MS) return 'must not be more than a year after the request is received';
  return undefined;
}
