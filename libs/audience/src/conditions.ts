import { conditionType, ISO_DATE_TIME, type PropertyCondition, type Scalar, type ValueType } from './rules.js';

/**
 * What a property condition means, in JavaScript: the live path evaluates events and profiles
 * with it, and `conditionSql` (sql.ts) states the same over jsonb for backfills and batch
 * evaluation. conditions-parity.integration-spec holds the two to the same answers.
 *
 * - A property is read by its exact name first, else as a dot path through nested objects.
 * - The condition's type decides how a stored value compares: `number` takes JSON numbers and
 *   strings that are decimal numbers ("12.50"); `string` and `boolean` take their JSON type only;
 *   `date` takes strings in ISO 8601 (see ISO_DATE_TIME) on real calendar days (2026-02-30 and
 *   24:00 are not dates), compared to the millisecond.
 * - A value of another type, or none, is "not comparable": only `neq` and `notIn` hold for it
 *   (it equals nothing), besides `notExists` for a missing or null one.
 * - `contains`: a string contains the operand, or a list holds an element equal to it.
 * - Strings compare case-sensitively, by code point (SQL side: COLLATE "C").
 */

/** Decimal numbers written as strings, as SDKs send amounts ("12.50"). */
export const DECIMAL = /^-?(?:\d+|\d*\.\d+)(?:[eE][-+]?\d+)?$/;

export function readProperty(properties: unknown, path: string): unknown {
  if (!isPlainObject(properties)) return undefined;
  if (Object.hasOwn(properties, path)) return properties[path];
  if (!path.includes('.')) return undefined;
  let value: unknown = properties;
  for (const key of path.split('.')) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** The comparable form of a stored value, or undefined when it is not of the condition's type. */
export function comparable(value: unknown, type: ValueType): number | string | boolean | undefined {
  switch (type) {
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && DECIMAL.test(value)) {
        const parsed = Number(value);
        return Number.isFinite(parsed) ? parsed : undefined;
      }
      return undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'date':
      return typeof value === 'string' ? parseDate(value) : undefined;
  }
}

/** Milliseconds since the epoch of an ISO 8601 date(-time) on a real calendar day; a bare date is midnight UTC. */
export function parseDate(text: string): number | undefined {
  if (!ISO_DATE_TIME.test(text)) return undefined;
  // Date.parse would roll 2026-02-30 over to March 2.
  if (Number(text.slice(8, 10)) > daysInMonth(Number(text.slice(0, 4)), Number(text.slice(5, 7)))) return undefined;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Proleptic Gregorian, as Date and PostgreSQL count. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function operand(value: Scalar, type: ValueType): number | string | boolean {
  return type === 'date' ? parseDate(value as string)! : value;
}

export function matchesCondition(condition: Omit<PropertyCondition, 'property'>, stored: unknown): boolean {
  const present = stored !== undefined && stored !== null;
  switch (condition.op) {
    case 'exists':
      return present;
    case 'notExists':
      return !present;
  }
  const type = conditionType(condition);
  if (condition.op === 'contains' && Array.isArray(stored)) {
    return stored.some((element) => element === condition.value);
  }
  const value = present ? comparable(stored, type) : undefined;
  if (value === undefined) return condition.op === 'neq' || condition.op === 'notIn';
  const single = condition.value === undefined ? undefined : operand(condition.value, type);
  const list = condition.values?.map((entry) => operand(entry, type));
  switch (condition.op) {
    case 'eq':
      return value === single;
    case 'neq':
      return value !== single;
    case 'contains':
      return (value as string).includes(single as string);
    case 'startsWith':
      return (value as string).startsWith(single as string);
    case 'gt':
      return compare(value, single!) > 0;
    case 'gte':
      return compare(value, single!) >= 0;
    case 'lt':
      return compare(value, single!) < 0;
    case 'lte':
      return compare(value, single!) <= 0;
    case 'between':
      return compare(value, list![0]!) >= 0 && compare(value, list![1]!) <= 0;
    case 'in':
      return list!.includes(value);
    case 'notIn':
      return !list!.includes(value);
  }
}

export function matchesAll(conditions: readonly PropertyCondition[] | undefined, properties: unknown): boolean {
  return (conditions ?? []).every((condition) => matchesCondition(condition, readProperty(properties, condition.property)));
}

/** Code point order for strings (as SQL's COLLATE "C" on UTF-8), numeric order otherwise. */
function compare(a: number | string | boolean, b: number | string | boolean): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

export function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
