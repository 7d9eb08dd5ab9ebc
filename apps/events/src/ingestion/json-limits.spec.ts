import { jsonBytesAtMost, MAX_NESTING_DEPTH, mayHoldUnstorableText, unstorableText } from './json-limits.js';

describe('mayHoldUnstorableText', () => {
  it.each([
    ['"\\u0000"', true],
    ['"\\ud800"', true],
    ['"\\uDC00"', true],
    ['"\\ud83d\\ude00"', true],
    ['"\\u00e9 \\u2028"', false],
    ['"plain text, é, 😀"', false],
    ['"\\\\udir"', true],
    ['"\\u', false],
  ])('%s → %s', (text, expected) => {
    expect(mayHoldUnstorableText(text)).toBe(expected);
  });
});

describe('unstorableText', () => {
  const lone = 'must not contain a lone UTF-16 surrogate (\\ud800-\\udfff not in a valid pair)';

  it.each([
    ['a NUL in a value', { batch: [{ properties: { note: 'a\0b' } }] }, 'batch[0].properties.note', 'must not contain the NUL character (\\u0000)'],
    ['a lone high surrogate in a value', { batch: [{}, { properties: { note: 'x\ud800' } }] }, 'batch[1].properties.note', lone],
    ['a lone low surrogate in a key', { d: [{ evtData: { '\udc00k': 1 } }] }, 'd[0].evtData.\udc00k', lone],
    ['a high surrogate before another high one', { event: '\ud83d\ud83d\ude00' }, 'event', lone],
    ['a pair in the wrong order', { userId: '\ude00\ud83d' }, 'userId', lone],
    ['a body that is one bad string', '\ud800', 'body', lone],
  ])('finds %s', (_case, body, field, rule) => {
    expect(unstorableText(body)).toEqual({ field, rule });
  });

  it('takes valid pairs and ordinary text', () => {
    expect(unstorableText({ batch: [{ event: '😀', properties: { '😀': ['é', '\u2028', '\ud83d\ude00'] } }] })).toBeUndefined();
  });

  it('walks no deeper than a message may nest, so a body of any depth is safe', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}"\\ud800"${']'.repeat(200_000)}`) as unknown;
    expect(unstorableText(deep)).toBeUndefined();
    // Still found at the deepest a message's fields may reach: batch[i] (2) + 32 levels.
    let value: unknown = '\ud800';
    for (let level = 0; level < MAX_NESTING_DEPTH; level++) value = { a: value };
    expect(unstorableText({ batch: [{ properties: value }] })?.field).toBe(`batch[0].properties${'.a'.repeat(MAX_NESTING_DEPTH)}`);
    // One level deeper is refused for its nesting instead.
    expect(unstorableText({ batch: [{ properties: { a: value } }] })).toBeUndefined();
  });
});

describe('jsonBytesAtMost', () => {
  it('bounds the serialised length, and is Infinity past the nesting limit', () => {
    const value = { a: [1, 'é', null, true, 1.5], b: { c: '\u0001' } };
    expect(jsonBytesAtMost(value, 0)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(value)));
    let nested: unknown = {};
    for (let level = 1; level < MAX_NESTING_DEPTH; level++) nested = { a: nested };
    expect(jsonBytesAtMost({ properties: nested }, 0)).toBeLessThan(Infinity);
    expect(jsonBytesAtMost({ properties: { a: nested } }, 0)).toBe(Infinity);
  });
});
