import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import { CampaignError, CampaignErrorCode } from '../campaigns/campaign.errors.js';
import type { CampaignDayRuleInput } from './dto/campaign-day-rule.input.js';

/**
 * Which days a campaign sends on, per profile: it skips weekends and/or public holidays, or sends
 * only on them. Days are the profile's local calendar days (its zone, else the project's); holidays
 * are the public ones (`date-holidays`, type `public` only: not observances or optional days) of
 * the chosen country, else of the profile's country.
 */
export interface DayRuleValue {
  mode: 'skip' | 'only';
  weekends: boolean;
  holidays: boolean;
  country: string | null;
}

const invalid = (field: string, rule: string) => new CampaignError(CampaignErrorCode.InvalidDefinition, `Invalid value for ${field}: ${rule}`, field);

const HolidaysOf = (Holidays as unknown as { default?: typeof Holidays }).default ?? Holidays;
const publicHolidays = new Map<string, Set<string>>();

/** The public holidays of a country in a year, as local dates (`YYYY-MM-DD`); cached. */
function publicHolidaysOf(country: string, year: number): Set<string> {
  const key = `${country}:${year}`;
  let days = publicHolidays.get(key);
  if (!days) {
    const calendar = new HolidaysOf(country);
    days = new Set((calendar.getHolidays(year) || []).filter((holiday) => holiday.type === 'public').map((holiday) => holiday.date.slice(0, 10)));
    publicHolidays.set(key, days);
  }
  return days;
}

export function isKnownCountry(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && Object.hasOwn(new HolidaysOf().getCountries('en'), code);
}

export function checkDayRule(input: CampaignDayRuleInput | null | undefined, field = 'input.dayRule'): DayRuleValue | null {
  if (!input) return null;
  if (!input.weekends && !input.holidays) throw invalid(field, 'give weekends, holidays or both');
  const country = input.country?.toUpperCase() ?? null;
  if (country && !isKnownCountry(country)) throw invalid(`${field}.country`, `"${input.country}" is not a country date-holidays knows (ISO 3166-1 alpha-2, e.g. DE)`);
  return { mode: input.mode, weekends: input.weekends ?? false, holidays: input.holidays ?? false, country };
}

/** Whether the day-rule keeps the profile from getting a send at `now` (its local day in `zone`; holidays of `profileCountry` unless the rule names one). */
export function dayExcluded(rule: DayRuleValue, now: Date, zone: string, profileCountry: string | null): boolean {
  const local = DateTime.fromJSDate(now, { zone });
  const weekend = local.weekday >= 6;
  const country = rule.country ?? profileCountry;
  const holiday = country !== null && publicHolidaysOf(country, local.year).has(local.toISODate()!);
  const special = (rule.weekends && weekend) || (rule.holidays && holiday);
  return rule.mode === 'skip' ? special : !special;
}
