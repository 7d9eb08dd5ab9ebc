import { canonicalJson, matchesWithoutHits } from './leaves.js';
import { durationMs, type AggregateRule, type EventRule, type Moment } from './rules.js';
import { conditionSql, epochMsSql, numericValueSql, timestampSql } from './sql.js';

/**
 * A compiled membership scan: the verdicts of several event leaves for every profile, from ONE
 * grouped pass over the raw events (what a hand-written "GROUP BY profile_id HAVING …" does),
 * without per-profile state. `events` runs it when a segment is created or edited, so the members
 * are known as fast as the question can be asked of the raw events; the per-profile leaf states
 * are filled afterwards (segments, in the background).
 *
 * The verdicts are those `evaluateLeaf` gives a state holding every hit (leaves.ts), at `nowMs`:
 * count, aggregate (sum / avg / min / max of the numeric property; a sum that is not a finite double
 * is not comparable), first / last moments, sliding windows (hits after now − window), fixed
 * windows. One difference: a state of a sliding window keeps its newest MAX_KEPT_HITS (5,000) hits,
 * the scan counts them all (they differ only for a profile with more hits than that in the window;
 * segments' recompute from the states, once filled, settles it). Sequences are not compiled.
 */

/** Most event leaves one scan answers: one bit each of an int4 mask. */
export const MAX_SCANNED_LEAVES = 30;

/** Rows of a scan: a profile whose verdicts are not all the verdicts of a profile with no hit. */
export interface LeafScanRow {
  readonly profileId: string;
  /** Bit i: leaf i holds. */
  readonly mask: number;
}

/** The mask of a profile with no hit at all: leaves that hold without hits ("at most 2 times"). */
export function scanDefaultMask(rules: readonly EventRule[]): number {
  return rules.reduce((mask, rule, index) => (matchesWithoutHits({ kind: 'event', key: '', rule }) ? mask | (1 << index) : mask), 0);
}

/** A float8 that JavaScript would hold as a finite number, else NULL (not comparable). */
const finite = (expr: string) => `(CASE WHEN (${expr}) IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8) THEN NULL ELSE (${expr}) END)`;

/** Sums at or above this magnitude are summed as numeric (a float8 sum would raise an overflow error). */
const HUGE = '1e290::float8';
/** Where a double rounds to Infinity (halfway from the largest double to 2^1024). */
const INFINITY_FROM = ((1n << 1024n) - (1n << 970n)).toString();

/**
 * The scan over `table` (events' `event`, every partition): rows `profile_id uuid, mask int4`,
 * ordered by profile id, only those whose mask differs from `scanDefaultMask` (so a profile
 * without a row has the verdicts of no hits). `$1` is the project.
 */
export function leafScanSql(projectId: string, rules: readonly EventRule[], nowMs: number, table = 'event'): { sql: string; params: unknown[]; defaultMask: number } {
  if (rules.length === 0 || rules.length > MAX_SCANNED_LEAVES) throw new Error(`a scan answers 1 to ${MAX_SCANNED_LEAVES} leaves, not ${rules.length}`);
  const params: unknown[] = [projectId];
  const bind = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  // Distinct steps (name and conditions): one boolean column each, computed once per event.
  const steps = new Map<string, { column: string; sql: string }>();
  const stepOf = (rule: EventRule) => {
    const key = canonicalJson({ name: rule.name, where: rule.where ?? [] });
    let step = steps.get(key);
    if (!step) {
      const sql = [`e.name = ${bind(rule.name, 'text')}`, ...(rule.where ?? []).map((condition) => conditionSql(condition, 'e.properties', params))].join(' AND ');
      step = { column: `s${steps.size}`, sql: `(${sql})` };
      steps.set(key, step);
    }
    return step;
  };
  // Distinct value properties: one float8 column each.
  const values = new Map<string, { column: string; sql: string }>();
  const valueOf = (property: string) => {
    let value = values.get(property);
    if (!value) {
      value = { column: `v${values.size}`, sql: numericValueSql(property, 'e.properties', params) };
      values.set(property, value);
    }
    return value;
  };
  const aggregates: string[] = [];
  const aggregateColumns = new Map<string, string>();
  const verdicts: string[] = [];
  // The events every leaf reads lie in [outerFrom, outerTo) (null: unbounded): each leaf filters
  // its hits by its own window only where that is narrower.
  const windows = rules.map((rule) => windowOf(rule, nowMs));
  const outerFrom = windows.some((window) => window.from === null) ? null : Math.min(...windows.map((window) => window.from!));
  const outerTo = windows.some((window) => window.to === null) ? null : Math.max(...windows.map((window) => window.to!));
  rules.forEach((rule, index) => {
    const step = stepOf(rule);
    const filters = [`h.${step.column}`];
    const { from, to } = windows[index]!;
    if (from !== null && from !== outerFrom) filters.push(`h.ts >= ${timestampSql(from, params)}`);
    if (to !== null && to !== outerTo) filters.push(`h.ts < ${timestampSql(to, params)}`);
    const hit = filters.join(' AND ');
    const column = (name: string, sql: string) => {
      let alias = aggregateColumns.get(sql);
      if (!alias) {
        alias = `${name}${index}`;
        aggregateColumns.set(sql, alias);
        aggregates.push(`${sql} AS ${alias}`);
      }
      return `a.${alias}`;
    };
    const parts = [countSql(rule, column('n', `count(*) FILTER (WHERE ${hit})`), bind)];
    if (rule.aggregate) {
      const v = `h.${valueOf(rule.aggregate.property).column}`;
      const vn = column('vn', `count(${v}) FILTER (WHERE ${hit})`);
      let value: string;
      if (rule.aggregate.fn === 'min' || rule.aggregate.fn === 'max') value = column(rule.aggregate.fn, `${rule.aggregate.fn}(${v}) FILTER (WHERE ${hit})`);
      else {
        const small = `coalesce(sum(${v}) FILTER (WHERE ${hit} AND abs(${v}) < ${HUGE}), 0)`;
        const huge = `(${small}::numeric + sum(${v}::numeric) FILTER (WHERE ${hit} AND abs(${v}) >= ${HUGE}))`;
        const sum = column(
          'sum',
          `(CASE WHEN count(*) FILTER (WHERE ${hit} AND abs(${v}) >= ${HUGE}) = 0 THEN ${small}
             WHEN abs(${huge}) >= ${INFINITY_FROM} THEN NULL ELSE (${huge})::float8 END)`,
        );
        value = rule.aggregate.fn === 'sum' ? sum : `(${sum} / NULLIF(${vn}, 0))`;
      }
      parts.push(`(${vn} > 0 AND ${numberHoldsSql(finite(value), rule.aggregate, bind)})`);
    }
    if (rule.first) parts.push(momentSql(rule.first, column('first', epochMsSql(`min(h.ts) FILTER (WHERE ${hit})`)), nowMs, bind));
    if (rule.last) parts.push(momentSql(rule.last, column('last', epochMsSql(`max(h.ts) FILTER (WHERE ${hit})`)), nowMs, bind));
    verdicts.push(`(CASE WHEN ${parts.join(' AND ')} THEN ${1 << index} ELSE 0 END)`);
  });
  const stepList = [...steps.values()];
  const names = [...new Set(rules.map((rule) => rule.name))];
  const where = [
    `e.project_id = $1::uuid`,
    `e.profile_id IS NOT NULL`,
    names.length === 1 ? `e.name = ${bind(names[0], 'text')}` : `e.name = ANY(${bind(names, 'text[]')})`,
    ...(outerFrom !== null ? [`e."timestamp" >= ${timestampSql(outerFrom, params)}`] : []),
    ...(outerTo !== null ? [`e."timestamp" < ${timestampSql(outerTo, params)}`] : []),
    stepList.length === 1 ? stepList[0]!.sql : `(${stepList.map((step) => step.sql).join(' OR ')})`,
  ];
  const columns = [
    'e.profile_id',
    'e."timestamp" AS ts',
    ...stepList.map((step) => (stepList.length === 1 ? `true AS ${step.column}` : `${step.sql} AS ${step.column}`)),
    ...[...values.values()].map((value) => `${value.sql} AS ${value.column}`),
  ];
  const defaultMask = scanDefaultMask(rules);
  // The hits are read in a subquery kept apart (OFFSET 0): each value is parsed once per event,
  // not once per aggregate reading it.
  const sql = `
    SELECT profile_id, mask FROM (
      SELECT a.profile_id, (${verdicts.join(' | ')})::int4 AS mask FROM (
        SELECT h.profile_id, ${aggregates.join(', ')}
        FROM (SELECT ${columns.join(', ')} FROM ${table} e WHERE ${where.join(' AND ')} OFFSET 0) AS h
        GROUP BY h.profile_id
      ) AS a
    ) AS m
    WHERE mask <> ${defaultMask}
    ORDER BY profile_id`;
  return { sql, params, defaultMask };
}

/** The events a leaf reads: [from, to) in epoch ms, null where unbounded. */
function windowOf(rule: EventRule, nowMs: number): { from: number | null; to: number | null } {
  if (rule.between) return { from: Date.parse(rule.between.from), to: Date.parse(rule.between.to) };
  // A state drops hits at or before now − window (whole milliseconds): the first kept is a millisecond later.
  if (rule.within) return { from: nowMs - durationMs(rule.within) + 1, to: null };
  return { from: null, to: null };
}

function countSql(rule: EventRule, n: string, bind: (value: unknown, type: string) => string): string {
  const count = rule.count ?? { atLeast: 1 };
  if (count.exactly !== undefined) return `${n} = ${bind(count.exactly, 'int4')}`;
  const parts = [
    ...(count.atLeast !== undefined ? [`${n} >= ${bind(count.atLeast, 'int4')}`] : []),
    ...(count.atMost !== undefined ? [`${n} <= ${bind(count.atMost, 'int4')}`] : []),
  ];
  return parts.length ? `(${parts.join(' AND ')})` : 'true';
}

/** `matchesCondition` on a number (NULL: not comparable, for which only `neq` holds). */
function numberHoldsSql(value: string, aggregate: AggregateRule, bind: (value: unknown, type: string) => string): string {
  const operand = (v: number) => bind(v, 'float8');
  switch (aggregate.op) {
    case 'eq':
      return `COALESCE(${value} = ${operand(aggregate.value!)}, false)`;
    case 'neq':
      return `COALESCE(${value} <> ${operand(aggregate.value!)}, true)`;
    case 'gt':
      return `COALESCE(${value} > ${operand(aggregate.value!)}, false)`;
    case 'gte':
      return `COALESCE(${value} >= ${operand(aggregate.value!)}, false)`;
    case 'lt':
      return `COALESCE(${value} < ${operand(aggregate.value!)}, false)`;
    case 'lte':
      return `COALESCE(${value} <= ${operand(aggregate.value!)}, false)`;
    case 'between':
      return `COALESCE(${value} >= ${operand(aggregate.values![0]!)} AND ${value} <= ${operand(aggregate.values![1]!)}, false)`;
  }
}

/** `momentHolds` on epoch ms `at` (NULL: no hit, which never holds). */
function momentSql(moment: Moment, at: string, nowMs: number, bind: (value: unknown, type: string) => string): string {
  const parts: string[] = [`${at} IS NOT NULL`];
  const ms = (value: number) => bind(value, 'float8');
  if (moment.before !== undefined) parts.push(`${at} < ${ms(Date.parse(moment.before))}`);
  if (moment.after !== undefined) parts.push(`${at} > ${ms(Date.parse(moment.after))}`);
  // inLast: now < at + span; notInLast: now ≥ at + span.
  if (moment.inLast) parts.push(`${at} > ${ms(nowMs - durationMs(moment.inLast))}`);
  if (moment.notInLast) parts.push(`${at} <= ${ms(nowMs - durationMs(moment.notInLast))}`);
  return `COALESCE(${parts.join(' AND ')}, false)`;
}

// ---------------------------------------------------------------------------------------------
// The scan's rows on the wire (events → segments): 20 bytes each, a profile id then its mask
// (u32, little-endian), in profile id order. No JSON arrays of UUIDs.

export const LEAF_SCAN_ROW_BYTES = 20;

export function encodeLeafScanRows(rows: readonly LeafScanRow[]): Buffer {
  const buffer = Buffer.allocUnsafe(rows.length * LEAF_SCAN_ROW_BYTES);
  rows.forEach((row, index) => {
    const at = index * LEAF_SCAN_ROW_BYTES;
    buffer.write(row.profileId.replace(/-/g, ''), at, 16, 'hex');
    buffer.writeUInt32LE(row.mask, at + 16);
  });
  return buffer;
}

export function decodeLeafScanRows(data: Uint8Array): LeafScanRow[] {
  if (data.length % LEAF_SCAN_ROW_BYTES !== 0) throw new Error(`a leaf scan chunk is a whole number of ${LEAF_SCAN_ROW_BYTES}-byte rows, not ${data.length} bytes`);
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.length);
  const rows: LeafScanRow[] = [];
  for (let at = 0; at < buffer.length; at += LEAF_SCAN_ROW_BYTES) {
    const hex = buffer.toString('hex', at, at + 16);
    rows.push({
      profileId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
      mask: buffer.readUInt32LE(at + 16),
    });
  }
  return rows;
}
