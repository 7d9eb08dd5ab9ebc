import { fmScore, RFM_CLASSES, rfmClassOf } from './rfm-classes.js';

describe('the RFM segment map', () => {
  const grid: Record<number, string[]> = {
    5: ['new', 'potential_loyalist', 'potential_loyalist', 'champions', 'champions'],
    4: ['promising', 'potential_loyalist', 'potential_loyalist', 'loyal', 'loyal'],
    3: ['about_to_sleep', 'about_to_sleep', 'needs_attention', 'loyal', 'loyal'],
    2: ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cant_lose_them'],
    1: ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cant_lose_them'],
  };

  it.each([1, 2, 3, 4, 5].flatMap((r) => [1, 2, 3, 4, 5].map((fm) => [r, fm, grid[r]![fm - 1]!] as const)))('R %i, FM %i is %s', (r, fm, expected) => {
    expect(rfmClassOf(r, fm, fm)).toBe(expected);
    expect(RFM_CLASSES.filter((entry) => r >= entry.r[0] && r <= entry.r[1] && fm >= entry.fm[0] && fm <= entry.fm[1])).toHaveLength(1);
  });

  it('averages F and M with halves rounded up', () => {
    expect(fmScore(5, 4)).toBe(5);
    expect(fmScore(1, 2)).toBe(2);
    expect(fmScore(3, 3)).toBe(3);
    expect(rfmClassOf(1, 5, 4)).toBe('cant_lose_them');
    expect(rfmClassOf(3, 2, 1)).toBe('about_to_sleep');
  });

  it('has ten classes with distinct names', () => {
    expect(new Set(RFM_CLASSES.map((entry) => entry.name)).size).toBe(10);
  });
});
