import { CampaignError } from '../campaigns/campaign.errors.js';
import { DayRuleMode } from './dto/campaign-day-rule.input.js';
import { checkDayRule, dayExcluded } from './day-rule.js';

const skipHolidays = { mode: 'skip' as const, weekends: false, holidays: true, country: null };

describe('weekend and holiday rule', () => {
  it("skips the public holidays of each profile's country, on its local day", () => {
    const thanksgiving = new Date('2026-11-26T15:00:00Z'); // Thursday: a US public holiday, not a German one
    expect(dayExcluded(skipHolidays, thanksgiving, 'America/New_York', 'US')).toBe(true);
    expect(dayExcluded(skipHolidays, thanksgiving, 'Europe/Berlin', 'DE')).toBe(false);
    expect(dayExcluded(skipHolidays, thanksgiving, 'Europe/Berlin', null)).toBe(false);
    const unityDay = new Date('2026-10-03T10:00:00Z'); // German Unity Day
    expect(dayExcluded(skipHolidays, unityDay, 'Europe/Berlin', 'DE')).toBe(true);
    expect(dayExcluded(skipHolidays, unityDay, 'America/New_York', 'US')).toBe(false);
    // 23:30 UTC on Dec 24 is already Christmas Day in Berlin, still Christmas Eve (no public holiday) in New York.
    const christmasInBerlin = new Date('2026-12-24T23:30:00Z');
    expect(dayExcluded(skipHolidays, christmasInBerlin, 'Europe/Berlin', 'DE')).toBe(true);
    expect(dayExcluded(skipHolidays, christmasInBerlin, 'America/New_York', 'US')).toBe(false);
  });

  it('sends only on weekends, or only on the holidays of a chosen country; observances do not count', () => {
    const onlyWeekends = { mode: 'only' as const, weekends: true, holidays: false, country: null };
    expect(dayExcluded(onlyWeekends, new Date('2026-12-05T12:00:00Z'), 'UTC', null)).toBe(false); // Saturday
    expect(dayExcluded(onlyWeekends, new Date('2026-12-07T12:00:00Z'), 'UTC', null)).toBe(true); // Monday
    const onlyGermanHolidays = { mode: 'only' as const, weekends: false, holidays: true, country: 'DE' };
    expect(dayExcluded(onlyGermanHolidays, new Date('2026-10-03T10:00:00Z'), 'America/New_York', 'US')).toBe(false);
    expect(dayExcluded(onlyGermanHolidays, new Date('2026-11-26T15:00:00Z'), 'America/New_York', 'US')).toBe(true);
    // Mother's Day in the US is an observance, not a public holiday.
    expect(dayExcluded({ ...skipHolidays, country: 'US' }, new Date('2026-05-10T15:00:00Z'), 'America/New_York', null)).toBe(false);
  });

  it('names the field of a broken rule', () => {
    const fieldOf = (input: Parameters<typeof checkDayRule>[0]) => {
      try {
        checkDayRule(input);
        return undefined;
      } catch (error) {
        return (error as CampaignError).field;
      }
    };
    expect(fieldOf({ mode: DayRuleMode.SKIP })).toBe('input.dayRule');
    expect(fieldOf({ mode: DayRuleMode.SKIP, holidays: true, country: 'XX' })).toBe('input.dayRule.country');
    expect(checkDayRule({ mode: DayRuleMode.ONLY, weekends: true, country: 'de' })).toEqual({ mode: 'only', weekends: true, holidays: false, country: 'DE' });
  });
});
