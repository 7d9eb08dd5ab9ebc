import { parseDate } from './conditions.js';
import type { HitSpec } from './leaves.js';
import { conditionType, type PropertyCondition, type Scalar, type ValueType } from './rules.js';

/**
 * What a property condition means, in PostgreSQL: the same answers as conditions.ts (`readProperty`,
 * `comparable`, `matchesCondition`) and leaves.ts (`hitOf`), as SQL over a jsonb expression, for
 * backfills and batch evaluation. conditions-parity.integration-spec holds the two to the same answers.
 *
 * Every function appends its values to the caller's `params` (node-postgres `$n` placeholders) and
 * returns SQL text holding only placeholders and constants. No stored jsonb makes the SQL fail:
 * every cast runs behind a CASE that has checked its input (PostgreSQL may evaluate the operands of
 * AND / OR in any order, CASE branches only in order).
 *
 * - Lookup: the exact key first, else the dot path through nested objects (`->` with text keys,
 *   which never indexes into arrays, as `readProperty` does not).
 * - Numbers: jsonb numbers and decimal strings (`DECIMAL`), read as the nearest double as
 *   JavaScript's `Number` does: a magnitude JavaScript reads as Infinity is not comparable, one it
 *   reads as 0 is ±0 (PostgreSQL's float8 input raises an error for both, so they are decided
 *   before any cast).
 * - Dates: strings matching ISO_DATE_TIME on real calendar days (parseDate: no 2026-02-30, no
 *   24:00), to the millisecond, computed with integer arithmetic, independent of the session's time zone.
 * - Strings: code point order (COLLATE "C" on UTF-8). Text PostgreSQL cannot hold (NUL, a lone
 *   UTF-16 surrogate) is in no stored key or string, so an operand holding it equals nothing and
 *   orders by its storable prefix.
 */

/** The smallest magnitude JavaScript reads as Infinity: halfway between the largest double and 2^1024. */
const INFINITY_FROM = ((1n << 1024n) - (1n << 970n)).toString();
/** The largest magnitude JavaScript reads as 0: half the smallest double, 2^-1075 (exactly: 5^1075 / 10^1075). */
const ZERO_UP_TO = `0.${(5n ** 1075n).toString().padStart(1075, '0')}`;
/** Significant digits kept to place a decimal near those two bounds (more than either has: 309 and 752). */
const BOUND_DIGITS = 800;

const DECIMAL_SQL = `'^-?([0-9]+|[0-9]*\\.[0-9]+)([eE][-+]?[0-9]+)?$'`;
/** Decimals whose double PostgreSQL's float8 input reads without a range error (1e-15 ≤ |x| < 1e15, or 0). */
const SHORT_DECIMAL_SQL = `'^-?[0-9]{1,15}(\\.[0-9]{1,15})?$'`;
const ISO_DATE_TIME_SQL = `'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,3})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$'`;

/** Appends a value to `params` and returns its placeholder, cast to `type`. */
function bind(params: unknown[], value: unknown, type: string): string {
  params.push(value);
  return `$${params.length}::${type}`;
}

/** Index of the first character PostgreSQL text cannot hold (NUL, a lone surrogate), or -1. */
function firstUnstorable(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) return i;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (code >= 0xdc00 && code <= 0xdfff) return i;
  }
  return -1;
}

const storable = (text: string) => firstUnstorable(text) === -1;

/** A lookup that cannot find anything: the path holds text no stored key can. */
const MISSING = 'NULL::jsonb';

/**
 * The jsonb value at `path` in `jsonbExpr` (SQL NULL when missing), as `readProperty` reads it:
 * the exact key, else the dot path through objects.
 */
export function propertySql(path: string, jsonbExpr: string, params: unknown[]): string {
  if (!storable(path)) return MISSING;
  const exact = `(${jsonbExpr}) -> ${bind(params, path, 'text')}`;
  if (!path.includes('.')) return `(${exact})`;
  const walk = path
    .split('.')
    .map((key) => ` -> ${bind(params, key, 'text')}`)
    .join('');
  return `COALESCE(${exact}, (${jsonbExpr})${walk})`;
}

/** The numeric value of a property (`comparable(v, 'number')`) as float8, NULL when not comparable. */
export function numericValueSql(path: string, jsonbExpr: string, params: unknown[]): string {
  return numberOfJsonbSql(propertySql(path, jsonbExpr, params));
}

/**
 * `comparable(readProperty(…, path), type)` in SQL: float8 for numbers, text for strings, boolean,
 * epoch milliseconds (int8) for dates; NULL when the value is not of the type.
 */
export function comparableSql(path: string, jsonbExpr: string, type: ValueType, params: unknown[]): string {
  return comparableOfJsonbSql(propertySql(path, jsonbExpr, params), type);
}

/** `comparable(value, 'number')` of a jsonb value. */
function numberOfJsonbSql(value: string): string {
  const numeric = `(${value})::numeric`;
  return `(CASE jsonb_typeof(${value})
    WHEN 'number' THEN (CASE
      WHEN ${numeric} BETWEEN -1e308 AND 1e308 AND (${numeric} >= 1e-307 OR ${numeric} <= -1e-307 OR ${numeric} = 0) THEN ${numeric}::float8
      WHEN abs(${numeric}) >= ${INFINITY_FROM} THEN NULL
      WHEN abs(${numeric}) <= ${ZERO_UP_TO} THEN (CASE WHEN ${numeric} < 0 THEN '-0' ELSE '0' END)::float8
      ELSE ${numeric}::float8 END)
    WHEN 'string' THEN ${numberOfDecimalTextSql(`(${value} #>> '{}')`)}
  END)`;
}

/**
 * A decimal string's double, as `Number(text)` when `DECIMAL` matches (NULL otherwise). Short ones
 * are cast directly; the others are placed by the position of their first significant digit
 * (`mag`: the value is 0.d… × 10^mag) so that float8 input never sees one it would refuse.
 * Plain expressions, no subquery: with a correlated subquery here, even one never run, events' scan
 * of a sum took 1.2–1.3× the hand-written SQL instead of 0.85–0.95× (and no plan could use parallel
 * workers); the long branch is rare, so repeating its parts costs little.
 */
function numberOfDecimalTextSql(text: string): string {
  const negative = `(${text} LIKE '-%')`;
  const integral = `substring(${text} FROM '^-?([0-9]*)')`;
  const fraction = `coalesce(substring(${text} FROM '\\.([0-9]+)'), '')`;
  const exponentText = `substring(${text} FROM '[eE]([-+]?[0-9]+)$')`;
  const digits = `ltrim(${integral} || ${fraction}, '0')`;
  const exponent = `(CASE WHEN ${exponentText} IS NULL THEN 0
      WHEN length(ltrim(ltrim(${exponentText}, '+-'), '0')) > 9 THEN (CASE WHEN ${exponentText} LIKE '-%' THEN -1000000000 ELSE 1000000000 END)
      ELSE ${exponentText}::int8 END)`;
  const mag = `(length(${digits}) - length(${fraction}) + ${exponent})`;
  const zero = `(CASE WHEN ${negative} THEN '-0' ELSE '0' END)::float8`;
  const near = (at: number) => `('0.' || left(${digits}, ${BOUND_DIGITS}) || 'e${at}')::numeric`;
  const double = `(${text})::float8`;
  return `(CASE
    WHEN ${text} ~ ${SHORT_DECIMAL_SQL} THEN ${double}
    WHEN ${text} ~ ${DECIMAL_SQL} THEN (CASE
        WHEN ${digits} = '' THEN ${zero}
        WHEN ${mag} >= 310 THEN NULL
        WHEN ${mag} <= -324 THEN ${zero}
        WHEN ${mag} = 309 THEN (CASE WHEN ${near(309)} >= ${INFINITY_FROM} THEN NULL ELSE ${double} END)
        WHEN ${mag} = -323 THEN (CASE
          WHEN ${near(-323)} < ${ZERO_UP_TO} OR (${near(-323)} = ${ZERO_UP_TO} AND rtrim(substr(${digits}, ${BOUND_DIGITS + 1}), '0') = '') THEN ${zero}
          ELSE ${double} END)
        ELSE ${double} END)
  END)`;
}

/**
 * `parseDate(text)` in SQL: epoch milliseconds (int8) of an ISO_DATE_TIME string, NULL otherwise.
 * Field ranges as parseDate: the pattern holds month 01–12, day 01–31, hour 00–23, minutes and
 * seconds 00–59, offsets up to ±23:59; the day must also exist in its month (proleptic Gregorian).
 */
function dateMsSql(text: string): string {
  return `(CASE WHEN ${text} ~ ${ISO_DATE_TIME_SQL} AND left(${text}, 4) <> '0000' THEN (SELECT CASE
      WHEN t.dd <= (CASE WHEN t.mo = 2 THEN (CASE WHEN (t.y % 4 = 0 AND t.y % 100 <> 0) OR t.y % 400 = 0 THEN 29 ELSE 28 END)
          WHEN t.mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END)
      THEN ((make_date(t.y, t.mo, 1) - DATE '1970-01-01') + t.dd - 1)::int8 * 86400000
        + t.hh * 3600000 + t.mi * 60000 + t.ss * 1000 + t.ms - t.sg * (t.oh * 3600000 + t.om * 60000)
    END
    FROM (SELECT left(s, 4)::int AS y, substr(s, 6, 2)::int AS mo, substr(s, 9, 2)::int AS dd,
        (CASE WHEN length(s) > 10 THEN substr(s, 12, 2)::int ELSE 0 END) AS hh,
        (CASE WHEN length(s) > 10 THEN substr(s, 15, 2)::int ELSE 0 END) AS mi,
        (CASE WHEN substr(s, 17, 1) = ':' THEN substr(s, 18, 2)::int ELSE 0 END) AS ss,
        coalesce(rpad(substring(s FROM '\\.([0-9]{1,3})'), 3, '0')::int, 0) AS ms,
        (CASE WHEN length(s) = 10 OR right(s, 1) = 'Z' THEN 0 WHEN substr(right(s, 6), 1, 1) = '-' THEN -1 ELSE 1 END) AS sg,
        (CASE WHEN length(s) = 10 OR right(s, 1) = 'Z' THEN 0 ELSE substr(right(s, 6), 2, 2)::int END) AS oh,
        (CASE WHEN length(s) = 10 OR right(s, 1) = 'Z' THEN 0 ELSE substr(right(s, 6), 5, 2)::int END) AS om
      FROM (SELECT ${text} AS s) AS raw) AS t) END)`;
}

/** The comparable form of a jsonb value for a condition type (`comparable`), NULL when not comparable. */
function comparableOfJsonbSql(value: string, type: ValueType): string {
  switch (type) {
    case 'number':
      return numberOfJsonbSql(value);
    case 'string':
      return `(CASE WHEN jsonb_typeof(${value}) = 'string' THEN ${value} #>> '{}' END)`;
    case 'boolean':
      return `(CASE WHEN jsonb_typeof(${value}) = 'boolean' THEN (${value})::boolean END)`;
    case 'date':
      return `(CASE WHEN jsonb_typeof(${value}) = 'string' THEN ${dateMsSql(`(${value} #>> '{}')`)} END)`;
  }
}

const SQL_TYPES: Record<ValueType, string> = { number: 'float8', string: 'text', boolean: 'boolean', date: 'int8' };
const ORDER_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** A condition (`matchesCondition`) on the property it names, in `jsonbExpr`: a boolean, never NULL. */
export function conditionSql(condition: PropertyCondition, jsonbExpr: string, params: unknown[]): string {
  return matchSql(condition, () => propertySql(condition.property, jsonbExpr, params), params);
}

/**
 * A condition (`matchesCondition`) on a stored jsonb value (SQL NULL: missing): a boolean, never
 * NULL. `lookup` binds the value's SQL, and is only called when the answer depends on it (a
 * statement must use every parameter it is given).
 */
export function matchSql(condition: Omit<PropertyCondition, 'property'>, lookup: () => string, params: unknown[]): string {
  const type = conditionType(condition);
  const single = condition.value;
  const list = condition.values ?? [];
  // An operand no stored string can hold decides alone.
  if (type === 'string' && (condition.op === 'eq' || condition.op === 'contains' || condition.op === 'startsWith') && !storable(single as string)) return 'false';
  if (type === 'string' && condition.op === 'neq' && !storable(single as string)) return 'true';
  const value = lookup();
  if (value === MISSING) return condition.op === 'notExists' || condition.op === 'neq' || condition.op === 'notIn' ? 'true' : 'false';
  const holds = (predicate: string) => `COALESCE(${predicate}, false)`;
  switch (condition.op) {
    case 'exists':
      return `COALESCE(jsonb_typeof(${value}) <> 'null', false)`;
    case 'notExists':
      return `COALESCE(jsonb_typeof(${value}) = 'null', true)`;
    case 'contains': {
      if (type !== 'string') throw new Error(`contains compares strings, not ${type}s`);
      const needle = bind(params, single as string, 'text');
      return holds(`(CASE jsonb_typeof(${value})
        WHEN 'array' THEN ${value} @> jsonb_build_array(${needle})
        WHEN 'string' THEN strpos((${value} #>> '{}') COLLATE "C", ${needle}) > 0 END)`);
    }
  }
  const comparable = comparableOfJsonbSql(value, type);
  switch (condition.op) {
    case 'eq':
      return holds(`${comparable} = ${operand(single!, type, params)}`);
    case 'neq':
      return `COALESCE(${comparable} <> ${operand(single!, type, params)}, true)`;
    case 'startsWith':
      if (type !== 'string') throw new Error(`startsWith compares strings, not ${type}s`);
      return holds(`starts_with(${comparable} COLLATE "C", ${bind(params, single as string, 'text')})`);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return holds(orderSql(comparable, condition.op, single!, type, params));
    case 'between':
      return holds(`${orderSql(comparable, 'gte', list[0]!, type, params)} AND ${orderSql(comparable, 'lte', list[1]!, type, params)}`);
    case 'in':
      return holds(inListSql(comparable, list, type, params));
    case 'notIn':
      return `COALESCE(NOT ${inListSql(comparable, list, type, params)}, true)`;
  }
}

/** A condition's operand as a placeholder of the type it compares as (dates: epoch ms). */
function operand(value: Scalar, type: ValueType, params: unknown[]): string {
  if (type === 'date') {
    const ms = parseDate(value as string);
    if (ms === undefined) throw new Error(`not an ISO 8601 date: ${JSON.stringify(value)}`);
    return bind(params, ms, 'int8');
  }
  return bind(params, value, SQL_TYPES[type]);
}

/** `comparable <op> operand` in code point order for strings. */
function orderSql(comparable: string, op: keyof typeof ORDER_OPS, value: Scalar, type: ValueType, params: unknown[]): string {
  if (type === 'boolean') throw new Error(`${op} does not apply to booleans`);
  if (type !== 'string') return `${comparable} ${ORDER_OPS[op]} ${operand(value, type, params)}`;
  const text = value as string;
  const at = firstUnstorable(text);
  if (at === -1) return `${comparable} COLLATE "C" ${ORDER_OPS[op]} ${bind(params, text, 'text')}`;
  // No stored string holds the operand's character at `at`, so each one orders against it as it
  // orders against its prefix followed by the next storable character (U+0001 after NUL, U+E000
  // after the surrogates).
  const bound = bind(params, text.slice(0, at) + (text.charCodeAt(at) === 0 ? '\u0001' : '\uE000'), 'text');
  return op === 'lt' || op === 'lte' ? `${comparable} COLLATE "C" < ${bound}` : `${comparable} COLLATE "C" >= ${bound}`;
}

function inListSql(comparable: string, values: readonly Scalar[], type: ValueType, params: unknown[]): string {
  if (type === 'boolean') {
    const wanted = [...new Set(values as boolean[])];
    return wanted.length ? `${comparable} IN (${wanted.map((value) => (value ? 'true' : 'false')).join(', ')})` : 'false';
  }
  const entries =
    type === 'date'
      ? values.map((value) => parseDate(value as string)!)
      : type === 'string'
        ? values.filter((value) => storable(value as string))
        : values;
  return `${comparable} = ANY(${bind(params, entries, `${SQL_TYPES[type]}[]`)})`;
}

/** Years 1–9999: their ISO form (`…Z`) is what PostgreSQL reads back as the same instant. */
const ISO_FROM_MS = new Date('0001-01-01T00:00:00.000Z').getTime();
const ISO_TO_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A timestamptz at `ms` epoch milliseconds, exact and independent of the session's time zone. A
 * bound timestamptz (a constant to the planner, so time partitions outside it are pruned when the
 * query is planned, not planned and pruned at run time); outside years 1–9999, epoch arithmetic.
 */
export function timestampSql(ms: number, params: unknown[]): string {
  if (Number.isInteger(ms) && ms >= ISO_FROM_MS && ms <= ISO_TO_MS) return bind(params, new Date(ms).toISOString(), 'timestamptz');
  return `(timestamptz 'epoch' + ${bind(params, ms, 'int8')} * interval '1 millisecond')`;
}

/** Epoch milliseconds (float8) of a timestamptz expression, as a JavaScript Date holds it (truncated). */
export function epochMsSql(timestampExpr: string): string {
  return `floor(extract(epoch FROM ${timestampExpr}) * 1000)::float8`;
}

export interface HitSpecSql {
  /** Whether a row is a hit (`hitOf` is not undefined). */
  readonly where: string;
  /** The hit's value (float8): the numeric value property, the step bitmask of a sequence, else NULL. */
  readonly value: string;
}

/**
 * `hitOf` over rows of events under `alias`, with the columns `name`, `properties` (jsonb) and
 * `"timestamp"` (timestamptz). A sequence's `where` leads with `name = ANY(...)` and a single
 * step's with `name = ...`, so an index on the name serves either.
 */
export function hitSpecSql(spec: HitSpec, alias: string, params: unknown[]): HitSpecSql {
  const bounds: string[] = [];
  const from = spec.from === undefined ? Number.NaN : Date.parse(spec.from);
  const to = spec.to === undefined ? Number.NaN : Date.parse(spec.to);
  if (!Number.isNaN(from)) bounds.push(`${alias}."timestamp" >= ${timestampSql(from, params)}`);
  if (!Number.isNaN(to)) bounds.push(`${alias}."timestamp" < ${timestampSql(to, params)}`);
  const steps = spec.steps.map((step) =>
    storable(step.name)
      ? [`${alias}.name = ${bind(params, step.name, 'text')}`, ...(step.where ?? []).map((condition) => conditionSql(condition, `${alias}.properties`, params))].join(' AND ')
      : 'false',
  );
  if (spec.steps.length === 1) {
    return {
      where: [steps[0]!, ...bounds].join(' AND '),
      value: spec.valueProperty === undefined ? 'NULL::float8' : numericValueSql(spec.valueProperty, `${alias}.properties`, params),
    };
  }
  const names = [...new Set(spec.steps.map((step) => step.name).filter(storable))];
  return {
    where: [`${alias}.name = ANY(${bind(params, names, 'text[]')})`, `(${steps.map((step) => `(${step})`).join(' OR ')})`, ...bounds].join(' AND '),
    value: `(${steps.map((step, index) => `(CASE WHEN ${step} THEN ${1 << index} ELSE 0 END)`).join(' + ')})::float8`,
  };
}
