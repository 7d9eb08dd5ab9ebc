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
