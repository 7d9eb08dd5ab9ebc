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
 * When `now` falls in the project's quiet hours (local `start`–`end` in its zone, end exclusive,
 * across midnight when end < start): the moment the window ends; otherwise null.
 */
export function quietHoursEnd(now: Date, settings: Pick<DeliverySettings, 'timeZone' | 'quietHours'>): Date | null {
  if (!settings.quietHours) return null;
  const local = DateTime.fromJSDate(now, { zone: settings.timeZone });
  const minute = local.hour * 60 + local.minute;
  const start = minutesOf(settings.quietHours.start);
  const end = minutesOf(settings.quietHours.end);
  const quiet = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!quiet) return null;
  let until = local.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  if (until <= local) until = until.plus({ days: 1 }).set({ hour: Math.floor(end / 60), minute: end % 60 });
  return until.toJSDate();
}
