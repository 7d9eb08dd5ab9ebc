import { conditionSql, hitSpecSql, numericValueSql, timestampSql } from './sql.js';
import type { PropertyCondition } from './rules.js';

/** Placeholders used in `sql`, in order of first use. */
const placeholders = (sql: string) => [...new Set([...sql.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])))].sort((a, b) => a - b);

describe('conditionSql', () => {
  it('binds values after the caller’s parameters and writes none of them into the text', () => {
    const sut = conditionSql;
    const params: unknown[] = ['project'];
    const sql = sut({ property: "o'k.x", op: 'in', values: ["'); DROP TABLE event; --", 'b'] }, 'e.properties', params);
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain("o'k");
    expect(params).toEqual(['project', "o'k.x", "o'k", 'x', ["'); DROP TABLE event; --", 'b']]);
    expect(placeholders(sql)).toEqual([2, 3, 4, 5]);
  });

  it('uses every parameter it appends, also when the answer needs no lookup', () => {
    const conditions: PropertyCondition[] = [
      { property: 'a', op: 'eq', value: 'x\u0000' },
      { property: 'a', op: 'neq', value: '\uD800' },
      { property: 'a', op: 'contains', value: '\u0000' },
      { property: 'a\u0000', op: 'exists' },
      { property: 'a\u0000', op: 'notIn', values: [1] },
      { property: 'a', op: 'in', values: ['\u0000'] },
      { property: 'a', op: 'lt', value: 'b\u0000c' },
    ];
    for (const condition of conditions) {
      const params: unknown[] = [];
      const sql = conditionSql(condition, 'e.properties', params);
      expect(placeholders(sql)).toEqual(params.map((_, index) => index + 1));
      for (const value of params.flat()) expect(String(value)).not.toMatch(/[\uD800-\uDFFF]/);
      for (const value of params.flat()) expect(String(value)).not.toContain('\u0000');
    }
  });

  it('answers by the operand alone when no stored text can hold it', () => {
    expect(conditionSql({ property: 'a', op: 'eq', value: 'x\u0000' }, 'p', [])).toBe('false');
    expect(conditionSql({ property: 'a', op: 'neq', value: 'x\uDC00' }, 'p', [])).toBe('true');
    expect(conditionSql({ property: 'a\u0000b', op: 'notExists' }, 'p', [])).toBe('true');
  });

  it('refuses a date operand parseDate cannot read', () => {
    expect(() => conditionSql({ property: 'a', op: 'gte', type: 'date', value: '0001-01-00' }, 'p', [])).toThrow(/not an ISO 8601 date/);
  });
});

describe('numericValueSql and hitSpecSql', () => {
  it('reads a dot path exact key first, through objects only', () => {
    const params: unknown[] = [];
    const sql = numericValueSql('order.amount', 'e.properties', params);
    expect(sql).toContain('COALESCE((e.properties) -> $1::text, (e.properties) -> $2::text -> $3::text)');
    expect(params).toEqual(['order.amount', 'order', 'amount']);
  });

  it('reads a number without a subquery (one made the scan of a sum about 40% slower)', () => {
    const sql = numericValueSql('amount', 'e.properties', []);
    expect(sql).not.toMatch(/\(\s*SELECT\b/i);
  });

  it('gives a sequence its step bitmask and a name list the index can use', () => {
    const params: unknown[] = [];
    const { where, value } = hitSpecSql(
      { steps: [{ name: 'Viewed' }, { name: 'Bought', where: [{ property: 'amount', op: 'gt', value: 10 }] }], keepsHits: true, from: '2026-01-01T00:00:00.1239Z' },
      'e',
      params,
    );
    expect(where).toMatch(/^e\.name = ANY\(\$\d+::text\[\]\) AND /);
    expect(value).toMatch(/THEN 1 ELSE 0 END\) \+ \(CASE WHEN .* THEN 2 ELSE 0 END\)\)::float8$/s);
    // from is read to the millisecond, as Date.parse reads it.
    expect(params).toContain('2026-01-01T00:00:00.123Z');
    expect(placeholders(`${where} ${value}`)).toEqual(params.map((_, index) => index + 1));
  });
});

describe('timestampSql', () => {
  it('binds a timestamptz the planner can prune partitions by, to the millisecond; epoch arithmetic outside years 1–9999', () => {
    const params: unknown[] = [];
    expect(timestampSql(Date.parse('2026-09-02T00:00:00.007Z'), params)).toBe('$1::timestamptz');
    expect(timestampSql(-1e15, params)).toBe(`(timestamptz 'epoch' + $2::int8 * interval '1 millisecond')`);
    expect(params).toEqual(['2026-09-02T00:00:00.007Z', -1e15]);
  });
});
