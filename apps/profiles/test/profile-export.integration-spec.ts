import { randomUUID } from 'node:crypto';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { IngestedEventsStream, ingestedEvent, publishableKeyCaller, secretKeyCaller, startProfilesSubgraph } from './support.js';

const PROFILE_EXPORT = `query($id: ID!) { profileExport(id: $id) { profileId exportedAt profile } }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ProfileExport { profileId profile } } }`;

/** Every column of `profile`, the subscriptions the API shows, identities and merge history. */
const PROFILE_KEYS = [
  'id',
  'externalId',
  'anonymousId',
  'email',
  'phone',
  'name',
  'timeZone',
  'locale',
  'properties',
  'consent',
  'subscriptions',
  'createdAt',
  'updatedAt',
  'identities',
  'mergeHistory',
];

describe('profiles: the GDPR export', () => {
  let sut: TestSubgraph;
  let events: IngestedEventsStream;

  beforeAll(async () => {
    sut = await startProfilesSubgraph();
    events = await IngestedEventsStream.declare(sut);
  });
  afterAll(() => sut?.close());

  /** A profile with contact details, consent, time zone and locale, and an anonymous profile merged into it. */
  const seed = async (project: string) => {
    const caller = secretKeyCaller(project);
    const created = await sut.query<{ createProfile: { id: string } }>(
      `mutation { createProfile(input: { externalId: "export-1", email: "Export.Person@example.org", phone: "+351912000111", name: "Ex" }) { id } }`,
      {},
      caller,
    );
    expect(created.errors).toBeUndefined();
    const profileId = created.data!.createProfile.id;
    await events.publish(
      ingestedEvent(project, {
        type: 'identify',
        name: 'identify',
        userId: 'export-1',
        traits: { 'MSG-email': false, 'MSG-push': true, 'MSG-dndPhone': true, locale: 'pt_br', Tz: 'Europe/Lisbon', plan: 'pro' },
      }),
    );
    await events.publish(ingestedEvent(project, { type: 'track', name: 'Browsed', anonymousId: 'export-anon' }));
    await events.handled();
    const anonymous = await sut.query<{ profileByIdentity: { id: string } }>(
      `{ profileByIdentity(kind: ANONYMOUS_ID, value: "export-anon") { id } }`,
      {},
      caller,
    );
    const mergedId = anonymous.data!.profileByIdentity.id;
    const merged = await sut.query(`mutation($p: ID!, $m: ID!) { mergeProfiles(profileId: $p, mergedProfileId: $m) { id } }`, { p: profileId, m: mergedId }, caller);
    expect(merged.errors).toBeUndefined();
    return { profileId, mergedId };
  };

  it('holds every column, consent and subscriptions, time zone, locale, all identities and the merge history; a merged id exports its survivor', async () => {
    const project = randomUUID();
    const { profileId, mergedId } = await seed(project);
    const before = Date.now();

    const result = await sut.query<{ profileExport: { profileId: string; exportedAt: string; profile: Record<string, unknown> } }>(
      PROFILE_EXPORT,
      { id: mergedId },
      secretKeyCaller(project),
    );
    expect(result.errors).toBeUndefined();
    const { profile, ...exported } = result.data!.profileExport;
    expect(exported.profileId).toBe(profileId);
    expect(new Date(exported.exportedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(Object.keys(profile).sort()).toEqual([...PROFILE_KEYS].sort());
    expect(profile).toMatchObject({
      id: profileId,
      externalId: 'export-1',
      email: 'Export.Person@example.org',
      phone: '+351912000111',
      name: 'Ex',
      timeZone: 'Europe/Lisbon',
      locale: 'pt-BR',
      properties: { plan: 'pro' },
      consent: {
        email: { subscribed: false, updatedAt: expect.any(String) },
        push: { subscribed: true, updatedAt: expect.any(String) },
        phone: { dnd: true, updatedAt: expect.any(String) },
      },
      mergeHistory: [{ mergedProfileId: mergedId, mergedAt: expect.any(String) }],
    });
    expect(profile.subscriptions).toEqual([
      { channel: 'EMAIL', state: 'UNSUBSCRIBED', updatedAt: expect.any(String) },
      { channel: 'SMS', state: 'UNKNOWN', updatedAt: null },
      { channel: 'PUSH', state: 'SUBSCRIBED', updatedAt: expect.any(String) },
      { channel: 'WHATSAPP', state: 'UNKNOWN', updatedAt: null },
    ]);
    const identities = (profile.identities as { kind: string; value: string }[]).map(({ kind, value }) => `${kind}:${value}`).sort();
    expect(identities).toEqual(['anonymous_id:export-anon', 'email:export.person@example.org', 'phone:+351912000111', 'user_id:export-1']);

    // The deprecated field keeps its shape and now holds the same profile fields.
    const legacy = await sut.query<{ exportProfile: { profile: Record<string, unknown>; identities: unknown[]; mergeHistory: unknown[] } }>(
      `query($id: ID!) { exportProfile(id: $id) }`,
      { id: profileId },
      secretKeyCaller(project),
    );
    expect(legacy.errors).toBeUndefined();
    const { identities: legacyIdentities, mergeHistory, ...legacyProfile } = profile;
    expect(legacy.data!.exportProfile).toEqual({ profile: legacyProfile, identities: legacyIdentities, mergeHistory });
  });

  it('is refused to publishable keys, on the root field and on entity references, and finds nothing in another project', async () => {
    const project = randomUUID();
    const { profileId } = await seed(project);

    const asPublishable = await sut.query(PROFILE_EXPORT, { id: profileId }, publishableKeyCaller(project));
    expect(asPublishable.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    expect(asPublishable.data ?? null).toBeNull();
    const reference = { r: [{ __typename: 'ProfileExport', profileId }] };
    const entityAsPublishable = await sut.query(ENTITIES, reference, publishableKeyCaller(project));
    expect(entityAsPublishable.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    const entityAsSecret = await sut.query<{ _entities: { profileId: string; profile: { email: string } }[] }>(ENTITIES, reference, secretKeyCaller(project));
    expect(entityAsSecret.errors).toBeUndefined();
    expect(entityAsSecret.data!._entities[0]).toMatchObject({ profileId, profile: { email: 'Export.Person@example.org' } });

    const elsewhere = await sut.query(PROFILE_EXPORT, { id: profileId }, secretKeyCaller(randomUUID()));
    expect(elsewhere.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
