import { randomUUID } from 'node:crypto';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { IngestedEventsStream, ingestedEvent, secretKeyCaller, startProfilesSubgraph } from './support.js';

const PROFILE = `query($id: ID!) { profile(id: $id) { id email name properties consent identities { kind value } } }`;

interface ProfileView {
  id: string;
  email: string | null;
  name: string | null;
  properties: Record<string, unknown>;
  consent: Record<string, { subscribed?: boolean } | undefined> | null;
  identities: { kind: string; value: string }[];
}

/**
 * A verified identify may name its profile by id alone, as events' identify for an email
 * unsubscribe does when it knows neither a user nor an anonymous id of the profile. Unverified
 * events never address a profile by id.
 */
describe('profiles: a verified identify naming only a profile id', () => {
  let sut: TestSubgraph;
  let events: IngestedEventsStream;

  beforeAll(async () => {
    sut = await startProfilesSubgraph();
    events = await IngestedEventsStream.declare(sut);
  });
  afterAll(() => sut?.close());

  const send = async (projectId: string, fields: Record<string, unknown>) => {
    const traits = fields.traits as Record<string, unknown> | undefined;
    await events.publish(ingestedEvent(projectId, { type: 'identify', name: 'identify', properties: traits ?? {}, ...fields }));
    await events.handled();
  };
  const profile = async (projectId: string, id: string) => {
    const result = await sut.query<{ profile: ProfileView | null }>(PROFILE, { id }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.profile;
  };
  /** A profile with an email and an anonymous id the identifies below do not carry. */
  const emailOnlyProfile = async (projectId: string, email: string) => {
    const created = await sut.query<{ createProfile: { id: string } }>(
      `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`,
      { input: { anonymousId: `anon-${email}`, email, name: 'Erin', properties: { plan: 'basic' } } },
      secretKeyCaller(projectId),
    );
    expect(created.errors).toBeUndefined();
    return created.data!.createProfile.id;
  };

  it('applies its traits, consent included, to that profile', async () => {
    const project = randomUUID();
    const id = await emailOnlyProfile(project, 'erin@example.com');
    await send(project, { profileId: id, verified: true, traits: { 'MSG-email': true } });
    expect((await profile(project, id))!.consent?.email?.subscribed).toBe(true);

    await send(project, { profileId: id, verified: true, traits: { 'MSG-email': false, plan: 'gold' } });
    const after = (await profile(project, id))!;
    expect(after.consent?.email?.subscribed).toBe(false);
    expect(after.properties).toMatchObject({ plan: 'gold' });
    expect(after.identities).toEqual(
      expect.arrayContaining([
        { kind: 'EMAIL', value: 'erin@example.com' },
        { kind: 'ANONYMOUS_ID', value: 'anon-erin@example.com' },
      ]),
    );
    expect(after.identities).toHaveLength(2);
  });

  it('an unverified one changes nothing', async () => {
    const project = randomUUID();
    const id = await emailOnlyProfile(project, 'frank@example.com');
    const before = await profile(project, id);
    await send(project, { profileId: id, verified: false, traits: { 'MSG-email': false, plan: 'hijacked', name: 'Mallory' } });
    expect(await profile(project, id)).toEqual(before);
  });

  it('a profile of another project, or none, is not touched; the batch\'s other events still apply', async () => {
    const project = randomUUID();
    const other = randomUUID();
    const id = await emailOnlyProfile(other, 'grace@example.com');
    const before = await profile(other, id);
    await send(project, { profileId: id, verified: true, traits: { plan: 'gold' } });
    await send(project, { profileId: randomUUID(), verified: true, traits: { plan: 'gold' } });
    expect(await profile(other, id)).toEqual(before);
    const elsewhere = await sut.query(PROFILE, { id }, secretKeyCaller(project));
    expect(elsewhere.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });

    await send(project, { userId: 'u-1', verified: true, traits: { plan: 'silver' } });
    const result = await sut.query<{ profileByIdentity: { properties: Record<string, unknown> } | null }>(
      `query { profileByIdentity(kind: USER_ID, value: "u-1") { properties } }`,
      {},
      secretKeyCaller(project),
    );
    expect(result.data!.profileByIdentity!.properties).toEqual({ plan: 'silver' });
  });

  it('a merged profile\'s id reaches its survivor', async () => {
    const project = randomUUID();
    const merged = await emailOnlyProfile(project, 'heidi@example.com');
    const survivor = await emailOnlyProfile(project, 'heidi.two@example.com');
    const result = await sut.query(
      `mutation($a: ID!, $b: ID!) { mergeProfiles(profileId: $a, mergedProfileId: $b) { id } }`,
      { a: survivor, b: merged },
      secretKeyCaller(project),
    );
    expect(result.errors).toBeUndefined();
    await send(project, { profileId: merged, verified: true, traits: { 'MSG-email': false } });
    expect((await profile(project, survivor))!.consent?.email?.subscribed).toBe(false);
  });

  it('an email held by another profile refuses the event: nothing changes', async () => {
    const project = randomUUID();
    const id = await emailOnlyProfile(project, 'ivan@example.com');
    await emailOnlyProfile(project, 'judy@example.com');
    const before = await profile(project, id);
    await send(project, { profileId: id, verified: true, traits: { email: 'judy@example.com', plan: 'gold' } });
    expect(await profile(project, id)).toEqual(before);

    await send(project, { profileId: id, verified: true, traits: { email: 'ivan.new@example.com' } });
    const after = (await profile(project, id))!;
    expect(after.email).toBe('ivan.new@example.com');
    expect(after.identities.map((identity) => identity.value).sort()).toEqual(['anon-ivan@example.com', 'ivan.new@example.com', 'ivan@example.com']);
  });
});
