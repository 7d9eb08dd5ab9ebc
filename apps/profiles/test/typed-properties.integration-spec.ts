import { randomUUID } from 'node:crypto';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { IngestedEventsStream, ingestedEvent, recordWarnings, secretKeyCaller, publishableKeyCaller, startProfilesSubgraph, type LoggedWarning } from './support.js';

const BY_USER = `query($value: String!) { profileByIdentity(kind: USER_ID, value: $value) {
  id properties timeZone locale subscriptions { channel state updatedAt } } }`;
const FILTERED = `query($filter: ProfileFilter) { profiles(first: 50, filter: $filter) { edges { node { externalId } } } }`;

interface ProfileView {
  id: string;
  properties: Record<string, unknown>;
  timeZone: string | null;
  locale: string | null;
  subscriptions: { channel: string; state: string; updatedAt: string | null }[] | null;
}

describe('profiles: typed properties, time zone, locale and subscriptions', () => {
  let sut: TestSubgraph;
  let events: IngestedEventsStream;
  let warnings: LoggedWarning[];

  beforeAll(async () => {
    sut = await startProfilesSubgraph();
    events = await IngestedEventsStream.declare(sut);
    warnings = recordWarnings(sut);
  });
  afterAll(() => sut?.close());

  const identify = async (projectId: string, userId: string, traits: Record<string, unknown>, context?: Record<string, unknown>) => {
    const body = ingestedEvent(projectId, { name: 'identify', type: 'identify', userId, traits, ...(context ? { context } : {}) });
    await events.publish(body);
    return body.messageId;
  };
  const processed = () => events.handled();
  const byUser = async (projectId: string, userId: string) => {
    const result = await sut.query<{ profileByIdentity: ProfileView | null }>(BY_USER, { value: userId }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.profileByIdentity!;
  };
  const filtered = async (projectId: string, properties: Record<string, unknown>[]) => {
    const result = await sut.query<{ profiles: { edges: { node: { externalId: string } }[] } }>(FILTERED, { filter: { properties } }, secretKeyCaller(projectId));
    return { errors: result.errors, ids: result.data?.profiles.edges.map((edge) => edge.node.externalId).sort() };
  };

  it('fixes each property type by its first value, coerces or rejects later values, and filters by type', async () => {
    const project = randomUUID();
    await identify(project, 'u-1', { plan: 'pro', seats: 5, trial: true, renewsAt: '$D_1767225600', tags: ['vip'], signedUpAt: '2025-06-01' });
    await identify(project, 'u-2', { plan: 'free', seats: '12', trial: 'false', renewsAt: '2026-03-01T12:00:00+01:00', tags: { $add: ['beta', 'vip'] } });
    await identify(project, 'u-3', { plan: 7, seats: 'many', renewsAt: 'next week', tags: { $incr: 1 } });
    await processed();

    const catalog = await sut.query<{ profileProperties: { name: string; type: string; firstSeenAt: string }[] }>(
      `{ profileProperties { name type firstSeenAt } }`,
      {},
      secretKeyCaller(project),
    );
    expect(catalog.errors).toBeUndefined();
    expect(catalog.data!.profileProperties.map(({ name, type }) => [name, type])).toEqual([
      ['plan', 'STRING'],
      ['renewsAt', 'DATE'],
      ['seats', 'NUMBER'],
      ['signedUpAt', 'DATE'],
      ['tags', 'LIST'],
      ['trial', 'BOOLEAN'],
    ]);
    expect((await byUser(project, 'u-1')).properties).toEqual({
      plan: 'pro',
      seats: 5,
      trial: true,
      renewsAt: '2026-01-01T00:00:00.000Z',
      tags: ['vip'],
      signedUpAt: '2025-06-01T00:00:00.000Z',
    });
    // Lossless coercions: "12" → 12, "false" → false, an offset date → UTC.
    expect((await byUser(project, 'u-2')).properties).toEqual({
      plan: 'free',
      seats: 12,
      trial: false,
      renewsAt: '2026-03-01T11:00:00.000Z',
      tags: ['beta', 'vip'],
    });
    // 7 → "7" is lossless; "many" and "next week" are rejected by name and reason, the rest applies.
    expect((await byUser(project, 'u-3')).properties).toEqual({ plan: '7' });
    expect(warnings).toContainEqual({
      fields: expect.objectContaining({ property: 'seats', reason: 'property is number; got string' }),
      message: 'profile property seats rejected: property is number; got string',
    });
    expect(warnings.some((warning) => warning.fields.property === 'renewsAt' && /property is date/.test(warning.message))).toBe(true);
    // An operator's result is not coerced: $incr on a list property is rejected, not stored as [1].
    expect(warnings.some((warning) => warning.message === 'profile property tags rejected: property is list; got number')).toBe(true);

    expect(await filtered(project, [{ name: 'seats', comparison: 'GREATER_THAN', value: 6 }])).toEqual({ errors: undefined, ids: ['u-2'] });
    expect(await filtered(project, [{ name: 'seats', comparison: 'LESS_OR_EQUAL', value: '12' }])).toEqual({ errors: undefined, ids: ['u-1', 'u-2'] });
    expect(await filtered(project, [{ name: 'renewsAt', comparison: 'BEFORE', value: '2026-02-01' }])).toEqual({ errors: undefined, ids: ['u-1'] });
    expect(await filtered(project, [{ name: 'renewsAt', comparison: 'AFTER', value: '$D_1767225600' }])).toEqual({ errors: undefined, ids: ['u-2'] });
    expect(await filtered(project, [{ name: 'tags', comparison: 'CONTAINS', value: 'beta' }])).toEqual({ errors: undefined, ids: ['u-2'] });
    expect(await filtered(project, [{ name: 'trial', comparison: 'EQUALS', value: true }])).toEqual({ errors: undefined, ids: ['u-1'] });
    expect(
      await filtered(project, [
        { name: 'plan', comparison: 'NOT_EQUALS', value: 'pro' },
        { name: 'tags', comparison: 'CONTAINS', value: 'vip' },
      ]),
    ).toEqual({ errors: undefined, ids: ['u-2'] });

    // propertyEquals compares in the stored form too: a date written as $D_ matches its ISO date.
    const equal = await sut.query<{ profiles: { edges: { node: { externalId: string } }[] } }>(
      FILTERED,
      { filter: { propertyEquals: { renewsAt: '2026-01-01', seats: '5' } } },
      secretKeyCaller(project),
    );
    expect(equal.data!.profiles.edges.map((edge) => edge.node.externalId)).toEqual(['u-1']);

    const invalid = async (condition: Record<string, unknown>) => (await filtered(project, [condition])).errors?.[0];
    expect(await invalid({ name: 'seats', comparison: 'CONTAINS', value: 1 })).toMatchObject({
      message: 'Invalid value for filter.properties.0.comparison: CONTAINS does not apply to a number property (use EQUALS, NOT_EQUALS, GREATER_THAN, GREATER_OR_EQUAL, LESS_THAN, LESS_OR_EQUAL)',
      extensions: { code: 'BAD_USER_INPUT', field: 'filter.properties.0.comparison' },
    });
    expect(await invalid({ name: 'renewsAt', comparison: 'BEFORE', value: 'soon' })).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'filter.properties.0.value' },
    });
    expect(await invalid({ name: 'nope', comparison: 'EQUALS', value: 1 })).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'filter.properties.0.name' },
    });
  });

  it('types properties written through GraphQL the same way, naming the field of a value that does not fit', async () => {
    const project = randomUUID();
    const created = await sut.query<{ createProfile: { id: string; properties: Record<string, unknown> } }>(
      `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id properties } }`,
      { input: { externalId: 'g-1', properties: { score: 3, birthday: '1990-05-17' } } },
      secretKeyCaller(project),
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createProfile.properties).toEqual({ score: 3, birthday: '1990-05-17T00:00:00.000Z' });
    const update = `mutation($id: ID!, $properties: JSON!) { updateProfileProperties(id: $id, properties: $properties) { properties } }`;
    const refused = await sut.query(update, { id: created.data!.createProfile.id, properties: { score: 'high', city: 'Porto' } }, secretKeyCaller(project));
    expect(refused.errors?.[0]).toMatchObject({
      message: 'Invalid value for properties.score: property is number; got string',
      extensions: { code: 'BAD_USER_INPUT', field: 'properties.score' },
    });
    // Nothing of the refused update was written, the new name included.
    expect((await byUser(project, 'g-1')).properties).toEqual({ score: 3, birthday: '1990-05-17T00:00:00.000Z' });
    const catalog = await sut.query<{ profileProperties: { name: string }[] }>(`{ profileProperties { name } }`, {}, secretKeyCaller(project));
    expect(catalog.data!.profileProperties.map((property) => property.name)).toEqual(['birthday', 'score']);
  });

  it('takes time zone and locale from CleverTap Tz, Segment traits or the identify context, canonicalised, and rejects invalid ones by name', async () => {
    const project = randomUUID();
    await identify(project, 'tz-1', { Tz: 'europe/lisbon' });
    await identify(project, 'tz-2', { plan: 'x' }, { timezone: 'America/Sao_Paulo', locale: 'pt_br' });
    await identify(project, 'tz-3', { timezone: 'Asia/Tokyo', locale: 'ja-JP' }, { timezone: 'UTC', locale: 'en-US' });
    const bad = await identify(project, 'tz-4', { Tz: 'Mars/Olympus', locale: 'not a locale!' }, { timezone: 'UTC' });
    await processed();
    expect(await byUser(project, 'tz-1')).toMatchObject({ timeZone: 'Europe/Lisbon', locale: null, properties: {} });
    expect(await byUser(project, 'tz-2')).toMatchObject({ timeZone: 'America/Sao_Paulo', locale: 'pt-BR', properties: { plan: 'x' } });
    expect(await byUser(project, 'tz-3')).toMatchObject({ timeZone: 'Asia/Tokyo', locale: 'ja-JP', properties: {} });
    // The invalid trait falls back to the valid context value.
    expect(await byUser(project, 'tz-4')).toMatchObject({ timeZone: 'UTC', locale: null });
    expect(warnings).toContainEqual({
      fields: expect.objectContaining({ messageId: bad, traits: ['Tz', 'locale'] }),
      message: 'invalid traits ignored',
    });

    // A merge fills the survivor's missing time zone and locale from the merged profile.
    const survivor = await sut.query<{ createProfile: { id: string } }>(`mutation { createProfile(input: { anonymousId: "anon-tz" }) { id } }`, {}, secretKeyCaller(project));
    const merged = await sut.query<{ mergeProfiles: { timeZone: string; locale: string } }>(
      `mutation($profileId: ID!, $mergedProfileId: ID!) { mergeProfiles(profileId: $profileId, mergedProfileId: $mergedProfileId) { timeZone locale } }`,
      { profileId: survivor.data!.createProfile.id, mergedProfileId: (await byUser(project, 'tz-2')).id },
      secretKeyCaller(project),
    );
    expect(merged.errors).toBeUndefined();
    expect(merged.data!.mergeProfiles).toEqual({ timeZone: 'America/Sao_Paulo', locale: 'pt-BR' });
  });

  it('reports subscription state per channel (unknown until decided) to secret keys only', async () => {
    const project = randomUUID();
    await identify(project, 's-1', { 'MSG-email': false, 'MSG-whatsapp': true });
    await processed();
    const profile = await byUser(project, 's-1');
    expect(profile.subscriptions).toEqual([
      { channel: 'EMAIL', state: 'UNSUBSCRIBED', updatedAt: expect.any(String) },
      { channel: 'SMS', state: 'UNKNOWN', updatedAt: null },
      { channel: 'PUSH', state: 'UNKNOWN', updatedAt: null },
      { channel: 'WHATSAPP', state: 'SUBSCRIBED', updatedAt: expect.any(String) },
    ]);
    const entities = await sut.query<{ _entities: { subscriptions: unknown }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { subscriptions { state } } } }`,
      { r: [{ __typename: 'Profile', id: profile.id }] },
      publishableKeyCaller(project),
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data!._entities[0]!.subscriptions).toBeNull();
  });
});
