import { CampaignError } from './campaign.errors.js';
import { CampaignChannel, QuietHoursBehavior } from './campaign.model.js';
import { checkDefinition, firstOccurrence, occurrenceAfter } from './campaign-definition.js';
import type { CreateCampaignInput } from './dto/create-campaign.input.js';

const base: CreateCampaignInput = { name: 'n', channel: CampaignChannel.EMAIL, quietHours: QuietHoursBehavior.DEFER };
const a = '00000000-0000-4000-8000-00000000000a';

const fieldOf = (input: Partial<CreateCampaignInput>): string | undefined => {
  try {
    checkDefinition({ ...base, ...input });
    return undefined;
  } catch (error) {
    return (error as CampaignError).field;
  }
};

describe('campaign definition', () => {
  it('names the field of each broken rule', () => {
    expect(fieldOf({ audience: { everyone: true, includeSegmentIds: [a], excludeSegmentIds: [] } })).toBe('input.audience.includeSegmentIds');
    expect(fieldOf({ audience: { everyone: false, includeSegmentIds: [a], excludeSegmentIds: [a] } })).toBe('input.audience.excludeSegmentIds');
    expect(fieldOf({ audienceSegmentId: a, audience: { everyone: true, includeSegmentIds: [], excludeSegmentIds: [] } })).toBe('input.audience');
    expect(fieldOf({ controlPercent: 1 })).toBe('input.controlPercent');
    expect(fieldOf({ channel: CampaignChannel.IN_APP, email: { templateId: a, templateVersion: 1 } })).toBe('input.email');
    const startAt = new Date('2030-01-01T09:00:00Z');
    expect(fieldOf({ schedule: { startAt, timeZone: 'UTC', rrule: 'FREQ=MINUTELY' } })).toBe('input.schedule.rrule');
    expect(fieldOf({ schedule: { startAt, timeZone: 'UTC', rrule: 'FREQ=WEEKLY;BYDAY=XX' } })).toBe('input.schedule.rrule');
    expect(fieldOf({ schedule: { startAt, timeZone: 'UTC', rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' } })).toBe('input.schedule.rrule');
    expect(fieldOf({ schedule: { startAt, timeZone: 'UTC', rrule: 'FREQ=DAILY', endAt: new Date('2029-01-01T00:00:00Z') } })).toBe('input.schedule.endAt');
    expect(fieldOf({ schedule: { startAt, timeZone: 'UTC', endAt: new Date('2031-01-01T00:00:00Z') } })).toBe('input.schedule.endAt');
    expect(fieldOf({ schedule: { startAt, timeZone: 'UTC', rrule: 'FREQ=WEEKLY;BYDAY=SA;BYHOUR=9;BYMINUTE=0' } })).toBeUndefined();
  });

  it('keeps audienceSegmentId as a one-segment audience', () => {
    expect(checkDefinition({ ...base, audienceSegmentId: a }).audience).toEqual({ everyone: false, include: [a], exclude: [] });
  });

  it('recurs at local time across a DST change, and stops at the end', () => {
    const schedule = { startAt: new Date('2026-03-20T08:00:00Z'), timeZone: 'Europe/Berlin', rrule: 'FREQ=WEEKLY;BYDAY=SA', endAt: new Date('2026-04-05T00:00:00Z') };
    const first = firstOccurrence(schedule, new Date('2026-03-01T00:00:00Z'))!;
    expect(first.toISOString()).toBe('2026-03-21T08:00:00.000Z'); // 09:00 CET
    const second = occurrenceAfter(schedule, first)!;
    expect(second.toISOString()).toBe('2026-03-28T08:00:00.000Z');
    const third = occurrenceAfter(schedule, second)!;
    expect(third.toISOString()).toBe('2026-04-04T07:00:00.000Z'); // 09:00 CEST
    expect(occurrenceAfter(schedule, third)).toBeNull();
  });

  it('sends once now, or once at its start', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(firstOccurrence(null, now)).toEqual(now);
    const startAt = new Date('2030-02-01T00:00:00Z');
    expect(firstOccurrence({ startAt, timeZone: 'UTC', rrule: null, endAt: null }, now)).toEqual(startAt);
    expect(occurrenceAfter({ startAt, timeZone: 'UTC', rrule: null, endAt: null }, startAt)).toBeNull();
  });
});
