import { DateTime } from 'luxon';
import { AnalyticsError } from './analytics.errors.js';
import { retentionGrid, retentionMatrix, RetentionGrid } from './retention.js';

const day = (text: string) => DateTime.fromISO(text, { zone: 'UTC' });

describe('RetentionGrid', () => {
  it('counts weeks from the Monday of `from`, months by calendar, N days from `from`', () => {
    const weeks = new RetentionGrid('WEEK', 1, day('2026-01-07'), day('2026-01-19'));
    expect([weeks.origin.toISODate(), weeks.cohorts, weeks.index(day('2026-01-11')), weeks.index(day('2026-01-12'))]).toEqual(['2026-01-05', 2, 0, 1]);
    const months = new RetentionGrid('MONTH', 1, day('2025-11-15'), day('2026-02-01'));
    expect([months.cohorts, months.index(day('2026-01-31')), months.start(2).toISODate()]).toEqual([3, 2, '2026-01-01']);
    const threes = new RetentionGrid('N_DAYS', 3, day('2026-01-05'), day('2026-01-11'));
    expect([threes.cohorts, threes.index(day('2026-01-08')), threes.start(2).toISODate()]).toEqual([2, 1, '2026-01-11']);
  });

  it('local days stay days across DST (a 23-hour day is one day)', () => {
    const zone = 'America/New_York';
    const grid = new RetentionGrid('DAY', 1, DateTime.fromISO('2026-03-07', { zone }), DateTime.fromISO('2026-03-10', { zone }));
    expect([grid.cohorts, grid.index(DateTime.fromISO('2026-03-09', { zone })), grid.start(2).toISODate()]).toEqual([3, 2, '2026-03-09']);
  });

  it('refuses bad questions naming the field', () => {
    const base = { interval: 'DAY' as const, intervals: 3, from: '2026-01-01', to: '2026-01-10' };
    const fieldOf = (question: Parameters<typeof retentionGrid>[0]) => {
      try {
        retentionGrid(question, 'UTC');
      } catch (error) {
        return (error as AnalyticsError).field;
      }
      return null;
    };
    expect(fieldOf({ ...base, interval: 'N_DAYS' })).toBe('input.n');
    expect(fieldOf({ ...base, from: '2026-13-01' })).toBe('input.from');
    expect(fieldOf({ ...base, to: '2026-01-01' })).toBe('input.to');
    expect(fieldOf({ ...base, startEvent: '' })).toBe('input.startEvent');
    expect(fieldOf(base)).toBeNull();
  });
});

describe('retentionMatrix', () => {
  const grid = new RetentionGrid('DAY', 1, day('2026-01-01'), day('2026-01-03'));
  const sizes = [
    { c: 0, profiles: 4 },
    { c: 1, profiles: 2 },
  ];

  it('classic: counts as counted, percentages of the cohort, intervals not begun left out', () => {
    const returned = [
      { c: 0, k: 0, profiles: 4 },
      { c: 0, k: 2, profiles: 1 },
      { c: 1, k: 0, profiles: 2 },
    ];
    expect(retentionMatrix(grid, 3, 'CLASSIC', sizes, returned, day('2026-01-03'))).toEqual([
      { start: '2026-01-01', size: 4, counts: [4, 0, 1], percentages: [100, 0, 25] },
      { start: '2026-01-02', size: 2, counts: [2, 0], percentages: [100, 0] },
    ]);
  });

  it('unbounded: profiles by their last interval back, summed from the right; a last return not shown yet counts in the last one shown', () => {
    const lastBack = [
      { c: 0, k: 0, profiles: 1 },
      { c: 0, k: 1, profiles: 2 },
      { c: 0, k: 2, profiles: 1 },
      { c: 1, k: 2, profiles: 1 },
      { c: 1, k: 0, profiles: 1 },
    ];
    expect(retentionMatrix(grid, 3, 'UNBOUNDED', sizes, lastBack, day('2026-01-03')).map((cohort) => cohort.counts)).toEqual([
      [4, 3, 1],
      [2, 1],
    ]);
  });
});
