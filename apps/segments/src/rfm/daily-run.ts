/** The IANA name of `zone` as ICU spells it, or null when ICU does not know it. */
export function canonicalTimeZone(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The wall clock in `zone` at `utcMs`, as if it were UTC (its offset is the difference). */
function wallClockMs(utcMs: number, zone: string): number {
  let format = wallClocks.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    wallClocks.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(utcMs)).map((part) => [part.type, Number(part.value)]));
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/**
 * The instant the wall clock in `zone` shows `hour:minute` on the given day. A time that a
 * daylight-saving jump skips is taken as the same time after the jump (02:30 → 03:30).
 */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, zone: string): number {
  const asUtc = Date.UTC(year, month, day, hour, minute);
  const firstGuess = asUtc - (wallClockMs(asUtc, zone) - asUtc);
  return asUtc - (wallClockMs(firstGuess, zone) - firstGuess);
}

/** The first instant after `after` at which the wall clock in `zone` shows `at` ("HH:MM"). */
export function nextDailyRun(after: Date, at: string, zone: string): Date {
  const [hour, minute] = at.split(':').map(Number) as [number, number];
  const today = new Date(wallClockMs(after.getTime(), zone));
  for (let offset = 0; ; offset++) {
    const candidate = instantOf(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset, hour, minute, zone);
    if (candidate > after.getTime()) return new Date(candidate);
  }
}
