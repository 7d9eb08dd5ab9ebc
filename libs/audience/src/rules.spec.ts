import { validateRule } from './validate.js';

function issues(rule: unknown): string[] {
  const result = validateRule(rule);
  return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

describe('rules: date operands', () => {
  it.each(['0001-01-00', '2026-02-30', '2026-02-29T10:00:00Z', '2026-01-01T24:00:00Z', '2026-13-01'])('refuses %s, a day no calendar has', (date) => {
    expect(issues({ profile: { property: 'at', op: 'gte', type: 'date', value: date } })).toEqual([
      'rules.profile.value: a date is an ISO 8601 date-time with a zone (2026-12-05T10:00:00Z), or a date, on a real calendar day',
    ]);
    expect(issues({ event: { name: 'A', where: [{ property: 'at', op: 'in', type: 'date', values: ['2026-01-01', date] }] } })).toEqual([
      'rules.event.where[0].values[1]: a date is an ISO 8601 date-time with a zone (2026-12-05T10:00:00Z), or a date, on a real calendar day',
    ]);
  });

  it('takes real days and orders between by the instant', () => {
    expect(issues({ profile: { attribute: 'createdAt', op: 'between', values: ['2024-02-29', '2024-02-29T00:00:00.001+00:00'] } })).toEqual([]);
    expect(issues({ profile: { attribute: 'createdAt', op: 'between', values: ['2024-03-01T00:30:00+01:00', '2024-02-29T23:45:00Z'] } })).toEqual([]);
    expect(issues({ profile: { attribute: 'createdAt', op: 'between', values: ['2024-03-01', '2024-02-29T23:59:59Z'] } })).toEqual([
      'rules.profile.values: between needs low ≤ high',
    ]);
  });
});

describe('rules: text PostgreSQL cannot store', () => {
  const NUL_OR_SURROGATE = 'must not contain NUL or lone surrogates';

  it.each([
    ['an event name', { event: { name: 'Viewed\u0000' } }, 'rules.event.name'],
    ['an event name (lone high surrogate)', { event: { name: 'Viewed \uD800' } }, 'rules.event.name'],
    ['a where property', { event: { name: 'A', where: [{ property: 'a\uDC00', op: 'exists' }] } }, 'rules.event.where[0].property'],
    ['a string operand', { event: { name: 'A', where: [{ property: 'a', op: 'eq', value: 'x\u0000y' }] } }, 'rules.event.where[0].value'],
    ['a list operand', { event: { name: 'A', where: [{ property: 'a', op: 'in', values: ['ok', '\uDBFF'] }] } }, 'rules.event.where[0].values[1]'],
    ['an aggregate property', { event: { name: 'A', aggregate: { fn: 'sum', property: 'amount\u0000', op: 'gt', value: 1 } } }, 'rules.event.aggregate.property'],
    ['a sequence step', { sequence: { steps: [{ name: 'A' }, { name: 'B\uD83D' }], within: { days: 1 } } }, 'rules.sequence.steps[1].name'],
    [
      'a sequence step condition',
      { sequence: { steps: [{ name: 'A', where: [{ property: 'p', op: 'startsWith', value: 'a\uD83D' }] }, { name: 'B' }], within: { days: 1 } } },
      'rules.sequence.steps[0].where[0].value',
    ],
    ['a profile property', { profile: { property: '\u0000', op: 'exists' } }, 'rules.profile.property'],
    ['a profile operand', { not: { profile: { attribute: 'name', op: 'contains', value: '\uDE00x' } } }, 'rules.not.profile.value'],
  ])('refuses %s, naming its path', (_, rule, path) => {
    expect(issues(rule)).toEqual([`${path}: ${NUL_OR_SURROGATE}`]);
  });

  it('takes astral characters (a surrogate pair) and other controls', () => {
    expect(issues({ event: { name: 'Liked 😀', where: [{ property: 'emoji😀', op: 'in', values: ['😀', 'tab\there', '\u0001'] }] } })).toEqual([]);
  });
});
