import { BackfillRequestError, parseLeafHitsBackfillRequest } from './leaf-hits-backfill.request.js';

const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const PROJECT = '0190f5c2-0000-7000-8000-000000000001';

describe('parseLeafHitsBackfillRequest', () => {
  const sut = parseLeafHitsBackfillRequest;

  it('reads a valid request into leaves with their window start in ms', () => {
    const request = sut(
      body({
        projectId: PROJECT,
        recentFrom: '2026-12-05T10:00:00.000Z',
        leaves: [
          { steps: [{ name: 'Bought', where: [{ property: 'amount', op: 'gt', value: 10 }] }], valueProperty: 'amount', keepsHits: true, since: '2026-11-05T10:00:00Z' },
          { steps: [{ name: 'A' }, { name: 'B' }], keepsHits: true },
        ],
      }),
    );
    expect(request).toEqual({
      projectId: PROJECT,
      recentFromMs: Date.parse('2026-12-05T10:00:00.000Z'),
      leaves: [
        {
          spec: { steps: [{ name: 'Bought', where: [{ property: 'amount', op: 'gt', value: 10 }] }], valueProperty: 'amount', keepsHits: true },
          sinceMs: Date.parse('2026-11-05T10:00:00Z'),
        },
        { spec: { steps: [{ name: 'A' }, { name: 'B' }], keepsHits: true } },
      ],
    });
  });

  it.each([
    ['not JSON', new TextEncoder().encode('{'), /^request: must be JSON$/],
    ['an operator the language lacks', body({ projectId: PROJECT, recentFrom: '2026-12-05T10:00:00Z', leaves: [{ steps: [{ name: 'A', where: [{ property: 'a', op: 'like', value: 'x' }] }], keepsHits: false }] }), /^leaves\[0\]\.steps\[0\]\.where\[0\]\.op: /],
    ['a date parseDate cannot read', body({ projectId: PROJECT, recentFrom: '2026-12-05T10:00:00Z', leaves: [{ steps: [{ name: 'A', where: [{ property: 'a', op: 'in', type: 'date', values: ['2026-01-01', '0001-01-32'] }] }], keepsHits: false }] }), /^leaves\[0\]\.steps\[0\]\.where\[0\]\.values\[1\]: a date is/],
    ['a property path with an empty name', body({ projectId: PROJECT, recentFrom: '2026-12-05T10:00:00Z', leaves: [{ steps: [{ name: 'A' }], valueProperty: 'a..b', keepsHits: false }] }), /^leaves\[0\]\.valueProperty: must be a property name or a dot path/],
    ['six steps', body({ projectId: PROJECT, recentFrom: '2026-12-05T10:00:00Z', leaves: [{ steps: Array.from({ length: 6 }, () => ({ name: 'A' })), keepsHits: true }] }), /^leaves\[0\]\.steps: /],
  ])('refuses %s, naming the field', (_case, input, message) => {
    expect(() => sut(input)).toThrow(BackfillRequestError);
    expect(() => sut(input)).toThrow(message);
  });
});
