import { fitToType, normalizeDate, typeOf } from './property-types.js';

describe('typed profile property values', () => {
  it('normalises CleverTap $D_ dates and ISO dates to one UTC form that sorts as text', () => {
    expect(normalizeDate('$D_1767225600')).toBe('2026-01-01T00:00:00.000Z');
    expect(normalizeDate('2026-01-31')).toBe('2026-01-31T00:00:00.000Z');
    expect(normalizeDate('2026-01-31T10:30:00+02:00')).toBe('2026-01-31T08:30:00.000Z');
    expect(normalizeDate('2026-01-31T10:30')).toBe('2026-01-31T10:30:00.000Z');
    expect(normalizeDate('2026-02-31')).toBeNull();
    expect(normalizeDate('31/01/2026')).toBeNull();
    expect(normalizeDate('2026')).toBeNull();
    const sorted = ['2026-01-31T10:30:00+02:00', '$D_1767225600', '2025-12-31T23:59:59.999Z'].map((value) => normalizeDate(value)!).sort();
    expect(sorted).toEqual(['2025-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z', '2026-01-31T08:30:00.000Z']);
  });

  it('detects the type of a first value', () => {
    expect([typeOf('pro'), typeOf(3), typeOf(true), typeOf('2026-01-31'), typeOf(['a']), typeOf({ a: 1 }), typeOf(null)]).toEqual([
      'string',
      'number',
      'boolean',
      'date',
      'list',
      'object',
      null,
    ]);
  });

  it('coerces later values when nothing is lost and rejects the rest with a reason naming types only', () => {
    expect(fitToType('42', 'number')).toEqual({ ok: true, value: 42 });
    expect(fitToType('4.50', 'number')).toEqual({ ok: false, reason: 'property is number; got string' });
    expect(fitToType(7, 'string')).toEqual({ ok: true, value: '7' });
    expect(fitToType('false', 'boolean')).toEqual({ ok: true, value: false });
    expect(fitToType('$D_1767225600', 'date')).toEqual({ ok: true, value: '2026-01-01T00:00:00.000Z' });
    expect(fitToType('soon', 'date')).toEqual({ ok: false, reason: 'property is date; got string' });
    expect(fitToType('2026-01-31', 'string')).toEqual({ ok: true, value: '2026-01-31' });
    expect(fitToType('a', 'list')).toEqual({ ok: true, value: ['a'] });
    expect(fitToType([{ a: 1 }], 'list')).toEqual({ ok: false, reason: 'a list holds strings, numbers and booleans only' });
    expect(fitToType(['a'], 'number')).toEqual({ ok: false, reason: 'property is number; got list' });
    expect(fitToType(null, 'number')).toEqual({ ok: true, value: null });
  });
});
