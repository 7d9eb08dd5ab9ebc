import { DateTime } from 'luxon';
import { z } from 'zod';
import { PropertyConditionSchema, type PropertyCondition } from '@boomerang/audience';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';

/**
 * What the behaviour questions (funnels, trends, stickiness, lifecycle) share: bad input named by
 * its field, local date ranges in the project's time zone, event property conditions as the
 * segments' rules write them (`@boomerang/audience`), and the local-midnight instants of a range in SQL.
 */

/** Most local days a behaviour question spans (a little over two years). */
export const MAX_RANGE_DAYS = 800;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function invalidQuestion(field: string, rule: string): AnalyticsError {
  return new AnalyticsError(AnalyticsErrorCode.InvalidQuestion, `input.${field}: ${rule}`, `input.${field}`);
}

/** A local date `YYYY-MM-DD` of the input, at the start of that day in `timeZone`. */
export function localDate(text: string, field: string, timeZone: string): DateTime {
  const day = ISO_DATE.test(text) ? DateTime.fromISO(text, { zone: timeZone }) : null;
  if (!day?.isValid) throw invalidQuestion(field, `must be a calendar date YYYY-MM-DD (a local date in the project's time zone), not "${text}"`);
  return day.startOf('day');
}

/** `from` (inclusive) and `to` (exclusive) local dates, checked: `to` after `from`, at most `maxDays` apart. */
export function localRange(question: { from: string; to: string }, timeZone: string, maxDays = MAX_RANGE_DAYS): { from: DateTime; to: DateTime; days: number } {
  const from = localDate(question.from, 'from', timeZone);
  const to = localDate(question.to, 'to', timeZone);
  if (to <= from) throw invalidQuestion('to', 'must be after from (from inclusive, to exclusive)');
  const days = Math.round(to.diff(from, 'days').days);
  if (days > maxDays) throw invalidQuestion('to', `spans ${days} days; at most ${maxDays}`);
  return { from, to, days };
}

/** An event name of the input (null: any event). */
export function eventName(name: string | null | undefined, field: string): string | null {
  if (name == null) return null;
  if (name.length === 0 || name.length > 200) throw invalidQuestion(field, 'must be an event name of 1 to 200 characters');
  return name;
}

const ConditionsSchema = z.array(PropertyConditionSchema).max(20);

/** Event property conditions (all must hold), as segments' rules write them: `[{ property, op, value | values, type? }]`. */
export function propertyConditions(input: unknown, field: string): PropertyCondition[] {
  if (input == null) return [];
  // GraphQL input objects carry absent fields as null or undefined; the schema reads them as absent.
  const plain = Array.isArray(input)
    ? input.map((condition: unknown) =>
        condition !== null && typeof condition === 'object' ? Object.fromEntries(Object.entries(condition).filter(([, value]) => value !== undefined && value !== null)) : condition,
      )
    : input;
  const parsed = ConditionsSchema.safeParse(plain);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  throw invalidQuestion(`${field}${path}`, issue.message);
}

/** SQL of the instant a local date starts in the project's zone (`$tz` already bound): `('2026-03-08'::timestamp AT TIME ZONE tz)`. */
export function localMidnightSql(day: DateTime, params: unknown[], tz: string): string {
  params.push(day.toISODate());
  return `($${params.length}::date::timestamp AT TIME ZONE ${tz})`;
}

/** Median of numbers (null when none), as percentile_cont(0.5) does. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `part` as a percentage of `whole`, two decimals (0 when whole is 0). */
export function percentage(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((10_000 * part) / whole) / 100;
}
