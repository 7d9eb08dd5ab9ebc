/**
 * Typed profile properties. Each property name has one type per project, fixed by the first
 * non-null value seen (the catalog, `profile_property`); later values are coerced to it when that
 * loses nothing, else rejected with a reason that names types, never values. Values are stored in
 * `profile.properties` (jsonb) as: string → JSON string, number → JSON number, boolean → JSON
 * boolean, list → JSON array of scalars, object → JSON object, date → a JSON string in one fixed
 * UTC form (`2026-01-31T09:30:00.000Z`), so dates compare correctly as text and cast to timestamptz.
 * Pure: the catalog is read and written by PropertyCatalog.
 */
export const PROPERTY_TYPES = ['string', 'number', 'boolean', 'date', 'list', 'object'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

export type Fitted = { ok: true; value: unknown } | { ok: false; reason: string };

/** CleverTap's date form: `$D_` and epoch seconds. */
const CLEVERTAP_DATE = /^\$D_(-?\d{1,12})$/;
/** ISO 8601 calendar date, optionally with a time and an offset (what Segment traits carry). */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * `$D_<epoch seconds>` or an ISO 8601 date/date-time → the stored form (UTC, milliseconds); null
 * when it is not a valid date. A date alone is that day at 00:00 UTC; a time without an offset is UTC.
 */
export function normalizeDate(value: string): string | null {
  const clevertap = CLEVERTAP_DATE.exec(value);
  if (clevertap) return isoOf(new Date(Number(clevertap[1]) * 1000));
  const iso = ISO_DATE.exec(value);
  if (!iso) return null;
  const [, year, month, day, time, offset] = iso;
  // Date would roll 2026-02-31 over to March: the calendar date must exist as written.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (calendar.getUTCMonth() !== Number(month) - 1 || calendar.getUTCDate() !== Number(day)) return null;
  if (!time) return isoOf(calendar);
  const zone = !offset ? 'Z' : offset === 'Z' || offset.includes(':') ? offset : offset.length === 3 ? `${offset}:00` : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  return isoOf(new Date(`${year}-${month}-${day}T${time}${zone}`));
}

function isoOf(date: Date): string | null {
  const time = date.getTime();
  return Number.isNaN(time) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999 ? null : date.toISOString();
}

const isScalar = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/** The type a property gets from its first value (dates are detected from their form); null for null. */
export function typeOf(value: unknown): PropertyType | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return normalizeDate(value) ? 'date' : 'string';
  if (Array.isArray(value)) return 'list';
  return 'object';
}

/**
 * `value` as a property of `type` stores it: as is, coerced when nothing is lost (a numeric
 * string to a number, a number or boolean to a string, "true"/"false" to a boolean, a date string
 * to the stored date form, one scalar to a one-item list), or a reason it cannot be. Null is
 * accepted for every type (it clears the value).
 */
export function fitToType(value: unknown, type: PropertyType): Fitted {
  if (value === null) return { ok: true, value: null };
  const got = typeOf(value);
  const mismatch = (): Fitted => ({ ok: false, reason: `property is ${type}; got ${got === 'date' ? 'a date string' : got}` });
  switch (type) {
    case 'string':
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: String(value) };
      if (typeof value === 'boolean') return { ok: true, value: String(value) };
      return mismatch();
    case 'number':
      if (typeof value === 'number') return Number.isFinite(value) ? { ok: true, value } : mismatch();
      if (typeof value === 'string' && value.trim() !== '' && String(Number(value)) === value) return { ok: true, value: Number(value) };
      return mismatch();
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
      return mismatch();
    case 'date': {
      const date = typeof value === 'string' ? normalizeDate(value) : null;
      return date ? { ok: true, value: date } : mismatch();
    }
    case 'list': {
      const items = Array.isArray(value) ? value : isScalar(value) ? [value] : null;
      if (!items) return mismatch();
      return items.every(isScalar) ? { ok: true, value: items } : { ok: false, reason: 'a list holds strings, numbers and booleans only' };
    }
    case 'object':
      return got === 'object' ? { ok: true, value } : mismatch();
  }
}

/** A first value in the form its detected type stores (a date string normalised); null when it has none. */
export function firstValue(value: unknown): { type: PropertyType; fitted: Fitted } | null {
  const type = typeOf(value);
  return type ? { type, fitted: fitToType(value, type) } : null;
}
