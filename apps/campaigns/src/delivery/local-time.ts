import { DateTime } from 'luxon';

/**
 * When a send at `startAt`'s local wall-clock time (read in `scheduleZone`) happens in each of
 * `zones`: instants in ms, each with the zones that reach it then (zones at the same offset share
 * one). DST-correct: the wall-clock time is placed in each zone on that day (a time skipped by a
 * spring-forward moves to the next valid one).
 */
export function localTimeInstants(startAt: Date, scheduleZone: string, zones: readonly string[]): Map<number, string[]> {
  const wall = DateTime.fromJSDate(startAt, { zone: scheduleZone });
  const parts = { year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute, second: wall.second };
  const instants = new Map<number, string[]>();
  for (const zone of [...new Set(zones)].sort()) {
    const at = DateTime.fromObject(parts, { zone }).toMillis();
    instants.set(at, [...(instants.get(at) ?? []), zone]);
  }
  return instants;
}
