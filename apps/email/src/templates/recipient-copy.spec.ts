import fc from 'fast-check';
import { personalizationScope, personalizationScopeJson } from './recipient-copy.js';

/** jsonb's text form: keys sorted by length, then bytes; `": "` and `", "` between. */
const jsonbText = (value: Record<string, unknown>): string =>
  `{${Object.keys(value)
    .sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${JSON.stringify(key)}: ${JSON.stringify(value[key])}`)
    .join(', ')}}`;

describe('personalizationScopeJson', () => {
  const profile = { id: '7d3c0a52-0000-4000-8000-000000000001', email: 'ann@example.com', name: 'Ann', timeZone: null, locale: 'de-DE' };

  it('parses to the scope personalizationScope builds: the built-in attributes over the properties, in their order', () => {
    const properties = { tier: 'gold', email: 'other@example.com', first_name: 'Änn "A" \\ <b>', nested: { a: [1, null, 'x'] } };
    const event = { item: 'shoes', price: 9.99 };
    const text = personalizationScopeJson({ profile, propertiesJson: jsonbText(properties), eventJson: jsonbText(event), campaignJson: '{}' });
    const parsed = JSON.parse(text) as Record<string, Record<string, unknown>>;
    const built = personalizationScope({ profile: { ...profile, properties: JSON.parse(jsonbText(properties)) as Record<string, unknown> }, event, campaign: {} });
    expect(parsed).toEqual(built);
    expect(Object.keys(parsed.profile!)).toEqual(Object.keys(built.profile as object));
  });

  it('takes empty and blank-padded objects', () => {
    expect(JSON.parse(personalizationScopeJson({ profile, propertiesJson: '{}', eventJson: '{}', campaignJson: '{}' }))).toEqual({ profile, event: {}, campaign: {} });
    expect(JSON.parse(personalizationScopeJson({ profile, propertiesJson: ' { } ', eventJson: '{}', campaignJson: '{}' }))).toEqual({ profile, event: {}, campaign: {} });
  });

  it('agrees with personalizationScope for any properties, key order included', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('id', 'email', 'name', 'timeZone', 'locale', '__proto__')), fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue()), (properties, event) => {
        const propertiesJson = jsonbText(properties);
        const parsed = JSON.parse(personalizationScopeJson({ profile, propertiesJson, eventJson: JSON.stringify(event), campaignJson: '{}' })) as Record<string, object>;
        const built = personalizationScope({ profile: { ...profile, properties: JSON.parse(propertiesJson) as Record<string, unknown> }, event: JSON.parse(JSON.stringify(event)) as Record<string, unknown>, campaign: {} });
        expect(parsed).toEqual(built);
        expect(Object.keys(parsed.profile!)).toEqual(Object.keys(built.profile as object));
      }),
    );
  });
});
