import { addHit, emptyLeafState, evaluateLeaf, evaluateRule, hitOf, hitSpecOf, leavesOf, matchesWithoutHits, mergeLeafStates, type BehaviourLeaf, type Leaf } from './leaves.js';
import type { Rule } from './rules.js';
import { validateRule } from './validate.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-05T12:00:00Z');

function leaf(rule: unknown): BehaviourLeaf {
  const validation = validateRule(rule);
  if (!validation.ok) throw new Error(JSON.stringify(validation.issues));
  return leavesOf(validation.rule)[0] as BehaviourLeaf;
}

function stateWith(sut: BehaviourLeaf, hits: [number, number | null][]) {
  const state = emptyLeafState();
  for (const [time, value] of hits) addHit(state, hitSpecOf(sut), time, value);
  return state;
}

describe('validateRule', () => {
  it('names the path of every issue', () => {
    const result = validateRule({ and: [{ event: { name: 'A' } }, { event: { name: 'B', within: { days: 0 } } }, { or: [] }, { nope: 1 }] });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((issue) => issue.path)).toEqual(['rules.and[1].event.within.days', 'rules.and[2].or', 'rules.and[3]']);
  });

  it('checks operands against the operator and type', () => {
    const issues = (rule: unknown) => {
      const result = validateRule(rule);
      return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
    };
    expect(issues({ profile: { property: 'age', op: 'between', values: [30, 20] } })).toEqual(['rules.profile.values: between needs low ≤ high']);
    expect(issues({ profile: { attribute: 'email', op: 'eq', value: 'a@b.c' } })[0]).toMatch(/rules.profile.op: email allows exists and notExists only/);
    expect(issues({ event: { name: 'A', where: [{ property: 'at', op: 'gt', type: 'date', value: 'yesterday' }] } })[0]).toMatch(/rules.event.where\[0\].value: a date is/);
    expect(issues({ event: { name: 'A', count: { exactly: 1, atLeast: 1 } } })[0]).toMatch(/exactly excludes/);
    expect(issues({ not: { not: { not: { not: { not: { not: { not: { not: { not: { not: { event: { name: 'A' } } } } } } } } } } } })[0]).toMatch(/nest at most/);
  });
});

describe('behaviour leaves', () => {
  it('counts hits in a sliding window and says when to look again', () => {
    const sut = leaf({ event: { name: 'Charged', within: { days: 7 }, count: { atLeast: 2 } } });
    const state = stateWith(sut, [
      [NOW - 6 * DAY, null],
      [NOW - 2 * DAY, null],
      [NOW - 9 * DAY, null],
    ]);
    expect(evaluateLeaf(sut, state, NOW)).toEqual({ matched: true, recheckAt: NOW + DAY });
    expect(state.times).toEqual([NOW - 6 * DAY, NOW - 2 * DAY]);
    expect(evaluateLeaf(sut, state, NOW + DAY)).toEqual({ matched: false, recheckAt: NOW + 5 * DAY });
  });

  it('aggregates a numeric property, decimal strings included', () => {
    const sut = leaf({ event: { name: 'Charged', aggregate: { fn: 'sum', property: 'Amount', op: 'gt', value: 500 } } });
    const spec = hitSpecOf(sut);
    const values = [{ Amount: 400 }, { Amount: '150.5' }, { Amount: 'lots' }].map((properties) => hitOf(spec, { name: 'Charged', timestampMs: NOW, properties }));
    expect(values).toEqual([400, 150.5, null]);
    expect(evaluateLeaf(sut, stateWith(sut, values.map((value) => [NOW, value ?? null])), NOW).matched).toBe(true);
    expect(evaluateLeaf(sut, stateWith(sut, [[NOW, 400]]), NOW).matched).toBe(false);
  });

  it('matches "at most" and "did not" without hits, and moments in time', () => {
    expect(matchesWithoutHits(leaf({ event: { name: 'A', count: { atMost: 2 } } }))).toBe(true);
    expect(matchesWithoutHits(leaf({ event: { name: 'A' } }))).toBe(false);
    const lapsing = leaf({ event: { name: 'Opened', last: { notInLast: { days: 30 } } } });
    expect(evaluateLeaf(lapsing, stateWith(lapsing, [[NOW - 10 * DAY, null]]), NOW)).toEqual({ matched: false, recheckAt: NOW + 20 * DAY });
    expect(evaluateLeaf(lapsing, stateWith(lapsing, [[NOW - 10 * DAY, null]]), NOW + 20 * DAY).matched).toBe(true);
  });

  it('finds a sequence within its span, in order', () => {
    const sut = leaf({ sequence: { steps: [{ name: 'Added' }, { name: 'Charged' }], within: { hours: 1 } } });
    const spec = hitSpecOf(sut);
    const hit = (name: string, at: number): [number, number | null] => [at, hitOf(spec, { name, timestampMs: at, properties: {} }) ?? null];
    expect(evaluateLeaf(sut, stateWith(sut, [hit('Added', NOW), hit('Charged', NOW + 30 * 60_000)]), NOW + DAY).matched).toBe(true);
    expect(evaluateLeaf(sut, stateWith(sut, [hit('Charged', NOW), hit('Added', NOW + 60_000)]), NOW + DAY).matched).toBe(false);
    expect(evaluateLeaf(sut, stateWith(sut, [hit('Added', NOW), hit('Charged', NOW + 2 * 3600_000)]), NOW + DAY).matched).toBe(false);
  });

  it('merges states as if the hits had been one profile’s', () => {
    const sut = leaf({ event: { name: 'A', aggregate: { fn: 'max', property: 'v', op: 'gte', value: 3 } } });
    const state = stateWith(sut, [[NOW, 1]]);
    mergeLeafStates(state, stateWith(sut, [[NOW - DAY, 3]]), hitSpecOf(sut));
    expect(state).toMatchObject({ n: 2, vn: 2, sum: 4, min: 1, max: 3, first: NOW - DAY, last: NOW });
    expect(evaluateLeaf(sut, state, NOW).matched).toBe(true);
  });
});

describe('evaluateRule', () => {
  it('combines leaves with AND / OR / NOT and applies member: false', () => {
    const rule = { and: [{ event: { name: 'A' } }, { not: { or: [{ event: { name: 'B' } }, { segment: { segmentId: '00000000-0000-4000-8000-000000000001', member: false } }] } }] } as Rule;
    const truth = (on: Record<string, boolean>) => (l: Leaf) => on[l.kind === 'segment' ? 'S' : (l.rule as { name: string }).name] ?? false;
    expect(evaluateRule(rule, truth({ A: true, B: false, S: true }))).toBe(true);
    expect(evaluateRule(rule, truth({ A: true, B: false, S: false }))).toBe(false);
    expect(evaluateRule(rule, truth({ A: true, B: true, S: true }))).toBe(false);
  });
});
