/**
 * The RFM segment map: each class is a rectangle on the grid of R (recency score) and FM (the
 * average of the frequency and monetary scores, halves rounded up), 1–5 each. The ten classes
 * tile the 25 cells exactly once. This is the widely used R×F map (Champions `5[4-5]`, Loyal
 * `[3-4][4-5]`, …) read with FM in place of F.
 *
 * |      | FM 1           | FM 2               | FM 3               | FM 4     | FM 5            |
 * | R 5  | New            | Potential loyalist | Potential loyalist | Champions| Champions       |
 * | R 4  | Promising      | Potential loyalist | Potential loyalist | Loyal    | Loyal           |
 * | R 3  | About to sleep | About to sleep     | Needs attention    | Loyal    | Loyal           |
 * | R 2  | Hibernating    | Hibernating        | At risk            | At risk  | Can't lose them |
 * | R 1  | Hibernating    | Hibernating        | At risk            | At risk  | Can't lose them |
 */
export const RFM_CLASSES = [
  { key: 'champions', name: 'Champions', r: [5, 5], fm: [4, 5] },
  { key: 'loyal', name: 'Loyal', r: [3, 4], fm: [4, 5] },
  { key: 'potential_loyalist', name: 'Potential loyalist', r: [4, 5], fm: [2, 3] },
  { key: 'new', name: 'New', r: [5, 5], fm: [1, 1] },
  { key: 'promising', name: 'Promising', r: [4, 4], fm: [1, 1] },
  { key: 'needs_attention', name: 'Needs attention', r: [3, 3], fm: [3, 3] },
  { key: 'about_to_sleep', name: 'About to sleep', r: [3, 3], fm: [1, 2] },
  { key: 'at_risk', name: 'At risk', r: [1, 2], fm: [3, 4] },
  { key: 'cant_lose_them', name: "Can't lose them", r: [1, 2], fm: [5, 5] },
  { key: 'hibernating', name: 'Hibernating', r: [1, 2], fm: [1, 2] },
] as const satisfies readonly RfmClassDefinition[];

export interface RfmClassDefinition {
  readonly key: string;
  readonly name: string;
  /** Inclusive score ranges. */
  readonly r: readonly [number, number];
  readonly fm: readonly [number, number];
}

export type RfmClassKey = (typeof RFM_CLASSES)[number]['key'];

/** FM: the average of F and M, halves rounded up (F 5, M 4 → 5). */
export const fmScore = (f: number, m: number): number => Math.floor((f + m + 1) / 2);

/** The class of a scored profile (scores 1–5). */
export function rfmClassOf(r: number, f: number, m: number): RfmClassKey {
  const fm = fmScore(f, m);
  const found = RFM_CLASSES.find((entry) => r >= entry.r[0] && r <= entry.r[1] && fm >= entry.fm[0] && fm <= entry.fm[1]);
  if (!found) throw new RangeError(`no RFM class for R ${r}, F ${f}, M ${m}`);
  return found.key;
}

/** The same table as a SQL CASE over integer columns `r` and `fm`. */
export function rfmClassSql(r: string, fm: string): string {
  const cases = RFM_CLASSES.map((entry) => `WHEN ${r} BETWEEN ${entry.r[0]} AND ${entry.r[1]} AND ${fm} BETWEEN ${entry.fm[0]} AND ${entry.fm[1]} THEN '${entry.key}'`);
  return `CASE ${cases.join(' ')} END`;
}
