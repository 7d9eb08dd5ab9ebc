import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { DeliverySettings } from '../settings/delivery-settings.js';

/** Why a targeted profile was not sent to; stored in `campaign_delivery.reason`. */
export enum SkipReason {
  HOLDOUT = 'HOLDOUT',
  CONTROL_GROUP = 'CONTROL_GROUP',
  QUIET_HOURS = 'QUIET_HOURS',
  FREQUENCY_CAP = 'FREQUENCY_CAP',
  MIN_GAP = 'MIN_GAP',
  /** The campaign skips weekends / holidays (or sends only on them) and the profile's day is not one to send on. */
  DAY_RULE = 'DAY_RULE',
  /** A triggered campaign was paused when the profile fired it (or when the firing came due). */
  PAUSED = 'PAUSED',
  /** The campaign was completed while the profile was held by its quiet hours (or while its firing waited): never sent. */
  CAMPAIGN_COMPLETED = 'CAMPAIGN_COMPLETED',
}

/** A sticky bucket in [0, 10000) for a key: the same key always lands in the same bucket. */
export function bucketOf(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % 10_000;
}

/** In the system-wide holdout of the project (the same profiles for every campaign). */
export const inHoldout = (projectId: string, profileId: string, percent: number): boolean => percent > 0 && bucketOf(`holdout:${projectId}:${profileId}`) < percent * 100;

/** In the campaign's control group (sticky per campaign and profile, independent of the holdout). */
export const inControlGroup = (campaignId: string, profileId: string, percent: number): boolean => percent > 0 && bucketOf(`control:${campaignId}:${profileId}`) < percent * 100;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When `now` falls in the quiet hours (local `start`–`end` in `timeZone`, end exclusive, across
 * midnight when end < start): the moment the window ends; otherwise null. The zone is the
 * profile's own (the project's for a profile without one). DST-correct: the end is a wall-clock
 * time on the local day it falls on (a window across a DST night is an hour shorter or longer);
 * an end the clocks skip (spring forward) is the first instant after the gap, when the local time
 * has passed it; an end in the hour the clocks repeat (fall back) is its next pass.
 */
export function quietHoursEnd(now: Date, settings: Pick<DeliverySettings, 'timeZone' | 'quietHours'>): Date | null {
  if (!settings.quietHours) return null;
  const local = DateTime.fromJSDate(now, { zone: settings.timeZone });
  const minute = local.hour * 60 + local.minute;
  const start = minutesOf(settings.quietHours.start);
  const end = minutesOf(settings.quietHours.end);
  const quiet = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!quiet) return null;
  const at = (day: DateTime) => wallClock(day, Math.floor(end / 60), end % 60);
  let until = at(local);
  if (until <= local) {
    // The night the clocks fall back, an end in the repeated hour comes twice: in its second pass, the end is the second one.
    const repeated = until.plus({ minutes: until.offset - local.offset });
    until = repeated > local && repeated.hour === until.hour && repeated.minute === until.minute ? repeated : at(local.plus({ days: 1 }));
  }
  return until.toJSDate();
}

/** `hour`:`minute` on `day`'s local date; a time skipped by a DST gap is the end of the gap. */
function wallClock(day: DateTime, hour: number, minute: number): DateTime {
  let at = day.set({ hour, minute, second: 0, millisecond: 0 });
  if (at.hour === hour && at.minute === minute) return at;
  // Luxon moves a skipped time forward by the gap; step back to the gap's end (the first minute past the skipped time).
  for (let step = 0; step < 180; step++) {
    const earlier = at.minus({ minutes: 1 });
    if (earlier.day !== at.day || earlier.hour * 60 + earlier.minute < hour * 60 + minute) break;
    at = earlier;
  }
  return at;
}
