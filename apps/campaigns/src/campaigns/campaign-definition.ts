import { RRuleTemporal } from 'rrule-temporal';
import { channelContentOf } from '../channels/channel-content.js';
import type { InAppContent } from '../in-app/in-app-content.js';
import type { WebhookTarget } from '../webhooks/webhook-target.js';
import { CampaignError, CampaignErrorCode } from './campaign.errors.js';
import { CampaignChannel } from './campaign.model.js';
import type { CampaignAudienceValue, CampaignScheduleValue } from './campaign.entity.js';
import type { CreateCampaignInput } from './dto/create-campaign.input.js';

/** Recurrences faster than hourly would message people by the minute. */
const ALLOWED_FREQUENCIES = new Set(['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);
/** In profile zones one occurrence spreads over 26 hours (UTC+14 to UTC−12): an hourly recurrence's occurrences would overlap. */
const PROFILE_ZONE_FREQUENCIES = new Set(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);

const invalid = (field: string, rule: string) => new CampaignError(CampaignErrorCode.InvalidDefinition, `Invalid value for ${field}: ${rule}`, field);

/** The rule of a recurring schedule: RRULE occurrences at local times in the schedule's zone, from its start, until its end. */
export function recurrenceOf(schedule: Pick<CampaignScheduleValue, 'startAt' | 'timeZone' | 'rrule' | 'endAt'>): RRuleTemporal {
  const value = schedule.rrule!.replace(/^RRULE:/i, '').toUpperCase();
  const local = new Intl.DateTimeFormat('sv-SE', {
    timeZone: schedule.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  })
    .format(schedule.startAt)
    .replace(/[-: ]/g, '')
    .replace(/^(\d{8})/, '$1T');
  return new RRuleTemporal({ rruleString: `DTSTART;TZID=${schedule.timeZone}:${local}\nRRULE:${value}` });
}

/** The first occurrence of a campaign scheduled at `now`: now (no schedule), its start (once), or the recurrence's first at or after the later of both. */
export function firstOccurrence(schedule: CampaignScheduleValue | null, now: Date): Date | null {
  if (!schedule) return now;
  if (!schedule.rrule) return schedule.startAt;
  return occurrenceAfter(schedule, now > schedule.startAt ? now : schedule.startAt, true);
}

/** The recurrence's next occurrence after `after` (or at it, `inclusive`) and not after its end; null when there is none or the schedule is one-time. */
export function occurrenceAfter(schedule: CampaignScheduleValue | null, after: Date, inclusive = false): Date | null {
  if (!schedule?.rrule) return null;
  const next = recurrenceOf(schedule).next(after, inclusive);
  if (!next) return null;
  const at = new Date(next.epochMilliseconds);
  return schedule.endAt && at > schedule.endAt ? null : at;
}

/**
 * The rules of a campaign definition that class-validator cannot state: the audience's shape, the
 * control group's range, the recurrence (parses, is hourly or slower, fires at least once before
 * its end) and the channel's content. Throws naming the field (`input.<path>`) and the rule.
 */
export function checkDefinition(
  input: CreateCampaignInput,
  field = 'input',
): { audience: CampaignAudienceValue; schedule: CampaignScheduleValue | null; inApp: InAppContent | null; webhook: WebhookTarget | null } {
  const audienceInput = input.audience ?? null;
  if (audienceInput && input.audienceSegmentId) throw invalid(`${field}.audience`, 'give either audience or audienceSegmentId, not both');
  const audience: CampaignAudienceValue = audienceInput
    ? { everyone: audienceInput.everyone, include: [...new Set(audienceInput.includeSegmentIds)], exclude: [...new Set(audienceInput.excludeSegmentIds)] }
    : { everyone: false, include: input.audienceSegmentId ? [input.audienceSegmentId] : [], exclude: [] };
  if (audience.everyone && audience.include.length > 0) throw invalid(`${field}.audience.includeSegmentIds`, 'must be empty when everyone is true');
  const both = audience.include.find((id) => audience.exclude.includes(id));
  if (both) throw invalid(`${field}.audience.excludeSegmentIds`, `segment ${both} is both included and excluded`);
  if (input.controlPercent === 1) throw invalid(`${field}.controlPercent`, 'must be 0 (no control group) or between 2 and 99');
  if (input.email && input.channel !== CampaignChannel.EMAIL) throw invalid(`${field}.email`, 'only EMAIL campaigns send an email template');
  const { inApp, webhook } = channelContentOf(input, field);

  const schedule: CampaignScheduleValue | null = input.schedule
    ? {
        startAt: input.schedule.startAt,
        timeZone: input.schedule.timeZone,
        rrule: input.schedule.rrule?.replace(/^RRULE:/i, '').toUpperCase() ?? null,
        endAt: input.schedule.endAt ?? null,
        inProfileTimeZone: input.schedule.inProfileTimeZone === true,
        catchUpLateZones: input.schedule.catchUpLateZones === true,
      }
    : null;
  if (schedule?.catchUpLateZones && !schedule.inProfileTimeZone) throw invalid(`${field}.schedule.catchUpLateZones`, 'only a schedule in each profile’s zone (inProfileTimeZone) has late zones to catch up');
  if (schedule?.endAt && schedule.endAt <= schedule.startAt) throw invalid(`${field}.schedule.endAt`, 'must be after startAt');
  if (schedule?.endAt && !schedule.rrule) throw invalid(`${field}.schedule.endAt`, 'only a recurring schedule (rrule) has an end');
  if (schedule?.rrule) {
    const parts = new Map(schedule.rrule.split(';').map((part) => part.split('=') as [string, string]));
    if (!ALLOWED_FREQUENCIES.has(parts.get('FREQ') ?? '')) throw invalid(`${field}.schedule.rrule`, 'FREQ must be one of HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY');
    if (parts.has('DTSTART')) throw invalid(`${field}.schedule.rrule`, 'the start is schedule.startAt, not DTSTART');
    if (schedule.inProfileTimeZone && !PROFILE_ZONE_FREQUENCIES.has(parts.get('FREQ')!)) {
      throw invalid(`${field}.schedule.rrule`, 'in each profile’s zone FREQ must be DAILY or slower (one occurrence spreads over 26 hours of zones)');
    }
    let first: Date | null;
    try {
      first = occurrenceAfter(schedule, schedule.startAt, true);
    } catch (error) {
      throw invalid(`${field}.schedule.rrule`, `not a valid RRULE (${(error as Error).message})`);
    }
    if (!first) throw invalid(`${field}.schedule.rrule`, 'never fires between startAt and endAt');
  }
  return { audience, schedule, inApp, webhook };
}
