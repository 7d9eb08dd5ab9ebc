import { PropertyTyping } from '../properties/property-catalog.js';
import { applyPropertyTraits, consentTraits } from './profile-traits.js';
import { mergeConsent as mergeConsentForTest } from './profile-traits.js';

describe('applyPropertyTraits', () => {
  const current = { plan: 'free', score: 10, tags: ['a', 'b'], legacy: 'x', nickname: 'Ada' };

  it('sets plain values and applies every operator', () => {
    const sut = applyPropertyTraits(current, {
      plan: 'gold',
      joined: '2026-01-01T00:00:00.000Z',
      score: { $incr: 5 },
      credits: { $decr: 2 },
      tags: { $add: ['b', 'c'] },
      badges: { $add: 'new' },
      legacy: { $delete: true },
      nested: { city: 'Paris' },
    });
    expect(sut).toEqual({
      properties: {
        plan: 'gold',
        joined: '2026-01-01T00:00:00.000Z',
        score: 15,
        credits: -2,
        tags: ['a', 'b', 'c'],
        badges: ['new'],
        nickname: 'Ada',
        nested: { city: 'Paris' },
      },
      skipped: [],
      rejected: [],
    });
    expect(current.tags).toEqual(['a', 'b']);
  });

  it('fits every new value, operator results included, to its type and leaves out the ones that do not fit', () => {
    const typing = new PropertyTyping(new Map([['score', 'number'], ['plan', 'string'], ['tags', 'list'], ['renewal', 'date']]));
    const sut = applyPropertyTraits(
      { score: 1, tags: ['a'] },
      { score: '7', plan: 3, renewal: 'tomorrow', tags: { $incr: 1 }, trial_end: '$D_1767225600', visits: { $incr: 2 } },
      (property, value, exact) => typing.fit(property, value, exact),
    );
    expect(sut.properties).toEqual({ score: 7, plan: '3', tags: ['a'], trial_end: '2026-01-01T00:00:00.000Z', visits: 2 });
    expect(sut.rejected).toEqual([{ property: 'renewal', reason: 'property is date; got string' }]);
    expect(sut.skipped).toEqual([{ property: 'tags', operator: '$incr', reason: 'property is not a number' }]);
    expect([...typing.newTypes]).toEqual([
      ['trial_end', 'date'],
      ['visits', 'number'],
    ]);
  });

  it('removes values from a list and ignores a missing one', () => {
    expect(applyPropertyTraits(current, { tags: { $remove: ['a', 'z'] } }).properties.tags).toEqual(['b']);
    expect(applyPropertyTraits(current, { tags: { $remove: 'b' } }).properties.tags).toEqual(['a']);
    expect(applyPropertyTraits(current, { gone: { $remove: 'b' } }).properties).toEqual(current);
  });

  it('turns a scalar into a list on $add', () => {
    expect(applyPropertyTraits({ color: 'red' }, { color: { $add: ['blue', 'red'] } }).properties).toEqual({ color: ['red', 'blue'] });
  });

  it('skips only the operator that cannot apply and names its property', () => {
    const sut = applyPropertyTraits(current, { plan: { $incr: 1 }, nickname: { $decr: 1 }, nickname2: { $incr: 'x' }, score: { $incr: 1 }, tags: { $delete: false } });
    expect(sut.properties).toEqual({ ...current, score: 11 });
    expect(sut.skipped).toEqual([
      { property: 'plan', operator: '$incr', reason: 'property is not a number' },
      { property: 'nickname', operator: '$decr', reason: 'property is not a number' },
      { property: 'nickname2', operator: '$incr', reason: '$incr takes a number' },
      { property: 'tags', operator: '$delete', reason: '$delete takes true' },
    ]);
    expect(applyPropertyTraits({ plan: 'free' }, { plan: { $remove: 'free' } }).skipped).toEqual([
      { property: 'plan', operator: '$remove', reason: 'property is not a list' },
    ]);
  });

  it('treats objects that are not exactly one operator as plain values', () => {
    const value = { $incr: 1, other: 2 };
    expect(applyPropertyTraits({}, { odd: value, other: { $unknown: 1 } }).properties).toEqual({ odd: value, other: { $unknown: 1 } });
  });
});

describe('consentTraits', () => {
  const now = new Date('2026-02-01T10:00:00.000Z');

  it('turns MSG-* flags into consent per channel and keeps the other traits', () => {
    const sut = consentTraits({ 'MSG-email': false, 'MSG-sms': true, 'MSG-push': false, 'MSG-dndPhone': true, plan: 'pro' }, now);
    const updatedAt = now.toISOString();
    expect(sut).toEqual({
      consent: {
        email: { subscribed: false, updatedAt },
        sms: { subscribed: true, updatedAt },
        push: { subscribed: false, updatedAt },
        phone: { dnd: true, updatedAt },
      },
      rest: { plan: 'pro' },
      rejected: [],
    });
  });

  it('rejects flags that are not booleans', () => {
    expect(consentTraits({ 'MSG-email': 'no', 'MSG-sms': null }, now)).toEqual({ consent: {}, rest: {}, rejected: ['MSG-email'] });
  });
});

describe('mergeConsent', () => {
  it('keeps, per channel, the more recent decision', () => {
    const survivor = { email: { subscribed: true, updatedAt: '2026-01-01T00:00:00.000Z' }, push: { subscribed: true, updatedAt: '2026-03-01T00:00:00.000Z' } };
    const merged = { email: { subscribed: false, updatedAt: '2026-02-01T00:00:00.000Z' }, push: { subscribed: false, updatedAt: '2026-01-01T00:00:00.000Z' }, phone: { dnd: true, updatedAt: '2026-01-05T00:00:00.000Z' } };
    expect(mergeConsentForTest(survivor, merged)).toEqual({ email: merged.email, push: survivor.push, phone: merged.phone });
  });
});

describe('PropertyTyping.observe', () => {
  it('fixes new names by the first value observed, operators included, whatever order values are applied in later', () => {
    const sut = new PropertyTyping(new Map([['known', 'string']]));
    sut.observe({ seats: 5, visits: { $incr: 1 }, tags: { $add: 'a' }, gone: { $delete: true }, known: 3 });
    sut.observe({ seats: '12', trial: 'false' });
    expect([...sut.newTypes]).toEqual([
      ['seats', 'number'],
      ['visits', 'number'],
      ['tags', 'list'],
      ['trial', 'string'],
    ]);
    expect(sut.fit('seats', '12')).toEqual({ ok: true, value: 12 });
  });
});
