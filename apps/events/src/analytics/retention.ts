import { DateTime } from 'luxon';
import type { AnalyticsBreakdown, AnalyticsFilter } from './analytics-filter.js';
import { AnalyticsError, AnalyticsErrorCode } from './analytics.errors.js';

export type RetentionUnit = 'DAY' | 'WEEK' | 'MONTH' | 'N_DAYS';
export type RetentionMode = 'CLASSIC' | 'UNBOUNDED';

/** A retention question as the API takes it (dates are local dates in the project's time zone). */
export interface RetentionQuestion {
  startEvent?: string | null;
  returnEvent?: string | null;
  interval: RetentionUnit;
  n?: number | null;
  intervals: number;
  from: string;
  to: string;
  mode?: RetentionMode | null;
  filter?: AnalyticsFilter | null;
  breakdown?: AnalyticsBreakdown | null;
}

export interface RetentionCohortAnswer {
  start: string;
  size: number;
  counts: number[];
  percentages: number[];
}

/** Most intervals per cohort and most cohorts per question: a matrix a person reads, not an export. */
export const MAX_INTERVALS = 400;
export const MAX_COHORTS = 400;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The grid a retention question counts on: interval `i` of the grid is a run of local days, from
 * the question's `from` (DAY, N_DAYS), the Monday of its week (WEEK) or the first of its month
 * (MONTH). A profile's cohort is the interval of its first (start) event; it returned in interval
 * k when it did the return event in grid interval cohort + k. Days are local dates already, so
 * DST needs nothing here: a local day is one day whatever its length in hours.
 */
export class RetentionGrid {
  readonly origin: DateTime;
  readonly from: DateTime;
  readonly to: DateTime;
  readonly cohorts: number;

  constructor(
    readonly unit: RetentionUnit,
    readonly n: number,
    from: DateTime,
    to: DateTime,
  ) {
    this.from = from;
    this.to = to;
    this.origin = unit === 'WEEK' ? from.startOf('week') : unit === 'MONTH' ? from.startOf('month') : from;
    this.cohorts = this.index(to.minus({ days: 1 })) + 1;
  }

  /** The grid interval holding a local day. */
  index(day: DateTime): number {
    switch (this.unit) {
      case 'DAY':
        return Math.round(day.diff(this.origin, 'days').days);
      case 'N_DAYS':
        return Math.floor(Math.round(day.diff(this.origin, 'days').days) / this.n);
      case 'WEEK':
        return Math.floor(Math.round(day.diff(this.origin, 'days').days) / 7);
      case 'MONTH':
        return (day.year - this.origin.year) * 12 + day.month - this.origin.month;
    }
  }

  /** The first local day of grid interval `i`. */
  start(i: number): DateTime {
    switch (this.unit) {
      case 'DAY':
        return this.origin.plus({ days: i });
      case 'N_DAYS':
        return this.origin.plus({ days: i * this.n });
      case 'WEEK':
        return this.origin.plus({ days: 7 * i });
      case 'MONTH':
        return this.origin.plus({ months: i });
    }
  }

  /** SQL of the grid interval of a `date` expression; `params` get the origin (and n). */
  indexSql(day: string, params: unknown[]): string {
    if (this.unit === 'MONTH') return `((extract(year FROM ${day})::int * 12 + extract(month FROM ${day})::int) - ${this.origin.year * 12 + this.origin.month})`;
    params.push(this.origin.toISODate());
    const origin = `$${params.length}::date`;
    switch (this.unit) {
      case 'DAY':
        return `(${day} - ${origin})`;
      case 'N_DAYS':
        params.push(this.n);
        return `((${day} - ${origin}) / $${params.length}::int)`;
      case 'WEEK':
        return `((${day} - ${origin}) / 7)`;
    }
  }
}

/** Checks a question and builds its grid; bad input names the field and the rule. */
export function retentionGrid(question: RetentionQuestion, timeZone: string): RetentionGrid {
  const invalid = (field: string, rule: string) => new AnalyticsError(AnalyticsErrorCode.InvalidRetention, `input.${field}: ${rule}`, `input.${field}`);
  const date = (field: 'from' | 'to') => {
    const text = question[field];
    const day = ISO_DATE.test(text) ? DateTime.fromISO(text, { zone: timeZone }) : null;
    if (!day?.isValid) throw invalid(field, `must be a calendar date YYYY-MM-DD (a local date in the project's time zone), not "${text}"`);
    return day.startOf('day');
  };
  if (!Number.isInteger(question.intervals) || question.intervals < 1 || question.intervals > MAX_INTERVALS) throw invalid('intervals', `must be a whole number from 1 to ${MAX_INTERVALS}`);
  if (question.interval === 'N_DAYS') {
    if (question.n == null || !Number.isInteger(question.n) || question.n < 1 || question.n > 366) throw invalid('n', 'must be a whole number of days from 1 to 366 with interval N_DAYS');
  } else if (question.n != null) {
    throw invalid('n', 'is only for interval N_DAYS');
  }
  for (const field of ['startEvent', 'returnEvent'] as const) {
    const name = question[field];
    if (name != null && (name.length === 0 || name.length > 200)) throw invalid(field, 'must be an event name of 1 to 200 characters');
  }
  const from = date('from');
  const to = date('to');
  if (to <= from) throw invalid('to', 'must be after from (cohorts are from `from` inclusive to `to` exclusive)');
  const grid = new RetentionGrid(question.interval, question.n ?? 1, from, to);
  if (grid.cohorts > MAX_COHORTS) throw invalid('to', `makes ${grid.cohorts} cohorts; at most ${MAX_COHORTS}`);
  return grid;
}

/** How many of cohort `c`'s first `intervals` intervals had begun by `today` (the others are left out of answers). */
export function intervalsBegun(grid: RetentionGrid, c: number, intervals: number, today: DateTime): number {
  let length = 0;
  while (length < intervals && grid.start(c + length) <= today) length++;
  return length;
}

/**
 * The answer's matrix from the counted rows: `returned` holds (cohort, k, profiles) — for CLASSIC
 * the profiles active in interval k, for UNBOUNDED the profiles whose LAST return was in k — and
 * `sizes` (cohort, profiles). Intervals that had not begun by `today` are left out.
 */
export function retentionMatrix(
  grid: RetentionGrid,
  intervals: number,
  mode: RetentionMode,
  sizes: readonly { c: number; profiles: number }[],
  returned: readonly { c: number; k: number; profiles: number }[],
  today: DateTime,
): RetentionCohortAnswer[] {
  return Array.from({ length: grid.cohorts }, (_, c) => {
    const size = sizes.find((row) => row.c === c)?.profiles ?? 0;
    const length = intervalsBegun(grid, c, intervals, today);
    const counts = new Array<number>(length).fill(0);
    for (const row of returned) {
      if (row.c !== c || length === 0) continue;
      // UNBOUNDED: a profile last back in an interval not begun yet (an event dated ahead) was back in the last one shown too.
      if (row.k < length) counts[row.k]! += row.profiles;
      else if (mode === 'UNBOUNDED') counts[length - 1]! += row.profiles;
    }
    if (mode === 'UNBOUNDED') for (let k = length - 2; k >= 0; k--) counts[k]! += counts[k + 1]!;
    const start = c === 0 ? grid.from : grid.start(c);
    return {
      start: start.toISODate()!,
      size,
      counts,
      percentages: counts.map((count) => (size === 0 ? 0 : Math.round((10_000 * count) / size) / 100)),
    };
  });
}
