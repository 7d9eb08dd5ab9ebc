import { randomUUID } from 'node:crypto';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { IngestedEventsStream, ingestedEvent, secretKeyCaller, startProfilesSubgraph } from './support.js';

const PROFILE = `query($id: ID!) { profile(id: $id) { id externalId email phone name properties consent identities { kind value } } }`;
const BY_IDENTITY = `query($kind: IdentityKind!, $value: String!) { profileByIdentity(kind: $kind, value: $value) {
  id email phone name properties consent identities { kind value } } }`;

interface ProfileView {
  id: string;
  externalId?: string | null;
  email: string | null;
  phone: string | null;
  name: string | null;
  properties: Record<string, unknown>;
  consent: Record<string, Record<string, unknown>> | null;
  identities: { kind: string; value: string }[];
}

/**
 * Events sent with a publishable key and no user token (EventsIngested `verified` unset) are the
 * words of whoever holds the app: they may create and update anonymous profiles and attach an
 * anonymous id to a user id, never join a profile by email, phone or device, and never change
 * contact details, consent, or what a verified write set.
 */
describe('profiles: unverified writes cannot take over another person\'s profile', () => {
  let sut: TestSubgraph;
  let events: IngestedEventsStream;

  beforeAll(async () => {
    sut = await startProfilesSubgraph();
    events = await IngestedEventsStream.declare(sut);
  });
  afterAll(() => sut?.close());

  const send = async (projectId: string, fields: Record<string, unknown>) => {
    const traits = fields.traits as Record<string, unknown> | undefined;
    await events.publish(ingestedEvent(projectId, { name: String(fields.type ?? 'track'), properties: traits ?? {}, ...fields }));
    await events.handled();
  };
  const unverified = (projectId: string, fields: Record<string, unknown>) => send(projectId, { ...fields, verified: false });
  const verified = (projectId: string, fields: Record<string, unknown>) => send(projectId, { ...fields, verified: true });

  const profile = async (projectId: string, id: string) => {
    const result = await sut.query<{ profile: ProfileView }>(PROFILE, { id }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.profile;
  };
  const byIdentity = async (projectId: string, kind: string, value: string) => {
    const result = await sut.query<{ profileByIdentity: ProfileView | null }>(BY_IDENTITY, { kind, value }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.profileByIdentity;
  };

  /** The victim: created with the secret key, with contact details, a name and a property. */
  const victim = async (projectId: string) => {
    const created = await sut.query<{ createProfile: { id: string } }>(
      `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`,
      { input: { externalId: 'victim', email: 'victim@example.com', phone: '+15550100', name: 'Victoria', properties: { plan: 'gold' } } },
      secretKeyCaller(projectId),
    );
    expect(created.errors).toBeUndefined();
    await verified(projectId, { type: 'identify', userId: 'victim', traits: { 'MSG-email': true } });
    return created.data!.createProfile.id;
  };

  it('does not join the victim by email: the attacker gets an anonymous profile of its own, without the email', async () => {
    const project = randomUUID();
    const victimId = await victim(project);
    const before = await profile(project, victimId);

    await unverified(project, { type: 'identify', anonymousId: 'mallory-1', traits: { email: 'victim@example.com', name: 'Mallory', plan: 'hijacked' } });

    expect(await profile(project, victimId)).toEqual(before);
    const attacker = (await byIdentity(project, 'ANONYMOUS_ID', 'mallory-1'))!;
    expect(attacker.id).not.toBe(victimId);
    expect(attacker).toMatchObject({ email: null, name: 'Mallory', properties: { plan: 'hijacked' } });
    expect((await byIdentity(project, 'EMAIL', 'victim@example.com'))!.id).toBe(victimId);
  });

  it('by user id, it may attach an anonymous id (as Segment clients do) but changes no contact detail, consent, name or verified property', async () => {
    const project = randomUUID();
    const victimId = await victim(project);

    await unverified(project, {
      type: 'identify',
      userId: 'victim',
      anonymousId: 'mallory-2',
      traits: { email: 'mallory@example.com', phone: '+15550199', name: 'Mallory', plan: 'hijacked', 'MSG-email': false, Tz: 'Asia/Tokyo', color: 'red' },
      context: { locale: 'ja-JP' },
    });

    const after = await profile(project, victimId);
    expect(after).toMatchObject({ email: 'victim@example.com', phone: '+15550100', name: 'Victoria', properties: { plan: 'gold', color: 'red' } });
    expect(after.consent).toMatchObject({ email: { subscribed: true } });
    expect(after.identities).toEqual(expect.arrayContaining([{ kind: 'ANONYMOUS_ID', value: 'mallory-2' }]));
    expect(after.identities).not.toEqual(expect.arrayContaining([{ kind: 'EMAIL', value: 'mallory@example.com' }]));
    expect(await byIdentity(project, 'EMAIL', 'mallory@example.com')).toBeNull();
  });

  it('a property an unverified write set stays open to unverified writes until a verified write sets it', async () => {
    const project = randomUUID();
    const victimId = await victim(project);
    await unverified(project, { type: 'identify', userId: 'victim', traits: { color: 'red' } });
    expect((await profile(project, victimId)).properties.color).toBe('red');
    await unverified(project, { type: 'identify', userId: 'victim', traits: { color: 'green', plan: { $delete: true } } });
    expect((await profile(project, victimId)).properties).toMatchObject({ color: 'green', plan: 'gold' });
    await verified(project, { type: 'identify', userId: 'victim', traits: { color: 'blue' } });
    await unverified(project, { type: 'identify', userId: 'victim', traits: { color: 'black', visits: { $incr: 1 } } });
    expect((await profile(project, victimId)).properties).toMatchObject({ color: 'blue', plan: 'gold', visits: 1 });
  });

  it('a device id from an unverified event neither picks nor claims a profile', async () => {
    const project = randomUUID();
    const victimId = await victim(project);
    await verified(project, { type: 'track', userId: 'victim', anonymousId: 'victim-phone', deviceId: 'device-1' });
    await unverified(project, { type: 'identify', anonymousId: 'mallory-3', deviceId: 'device-1', traits: { name: 'Mallory' } });
    const attacker = (await byIdentity(project, 'ANONYMOUS_ID', 'mallory-3'))!;
    expect(attacker.id).not.toBe(victimId);
    expect((await profile(project, victimId)).name).toBe('Victoria');

    await unverified(project, { type: 'track', anonymousId: 'mallory-4', deviceId: 'device-2' });
    expect(await byIdentity(project, 'DEVICE_ID', 'device-2')).toBeNull();
  });

  it('merging an attacker\'s anonymous profile into the victim keeps the victim\'s verified values', async () => {
    const project = randomUUID();
    const victimId = await victim(project);
    await unverified(project, { type: 'identify', anonymousId: 'mallory-5', traits: { name: 'Mallory', plan: 'hijacked', nickname: 'mal' } });
    await unverified(project, { type: 'alias', userId: 'victim', previousId: 'mallory-5' });
    const merged = await profile(project, victimId);
    expect(merged).toMatchObject({ name: 'Victoria', properties: { plan: 'gold', nickname: 'mal' } });
    // What came from the attacker's profile stays unverified: a later unverified write may change it, not the victim's.
    await unverified(project, { type: 'identify', userId: 'victim', traits: { nickname: 'changed', plan: 'changed' } });
    expect((await profile(project, victimId)).properties).toMatchObject({ plan: 'gold', nickname: 'changed' });
  });
});
