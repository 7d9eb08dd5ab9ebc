import { bearer, startTestPlatform, type RunningPlatform } from '../../../tools/dev/test-platform.js';
import { onceProfileKnown } from './profile-known.js';

interface CreatedProject {
  publishableKey: { key: string };
  secretKey: { key: string };
}

interface ProfileExport {
  profileId: string;
  exportedAt: string;
  profile: Record<string, unknown>;
  events: { name: string; type: string; properties: Record<string, unknown> }[];
  calls: { id: string; callerProfileId: string; state: string; participants: { profileId: string }[]; timeline: { state: string }[] }[];
  segments: { segmentId: string; name: string }[];
}

const EMAIL = 'gdpr.person@example.org';
const EXPORT = `query($id: ID!) { profileExport(id: $id) { profileId exportedAt profile events calls segments } }`;

/** GDPR: one query through the gateway gathers what profiles, events, voice and segments hold on a profile. */
describe('the GDPR export through the gateway', () => {
  let platform: RunningPlatform;
  let project: CreatedProject;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const created = await platform.graphql<{ createProject: CreatedProject }>(
      `mutation { createProject(input: { name: "Export" }) { publishableKey { key } secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    expect(created.errors).toBeUndefined();
    project = created.data!.createProject;
  }, 180_000);
  afterAll(() => platform?.stop(), 60_000);

  const eventually = async <T>(check: () => Promise<T | undefined>, what: string): Promise<T> => {
    for (let attempt = 0; attempt < 150; attempt++) {
      const value = await check();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${what}: not within 15 s`);
  };

  it('returns the profile with its consent, time zone and locale, its events, its calls and its segments in one query; a publishable key is refused', async () => {
    const asSecret = bearer(project.secretKey.key);
    const asPublishable = bearer(project.publishableKey.key);
    // The product's backend identifies its user (a secret key: contact details and consent are its to set); profiles creates the profile from it.
    const identified = await platform.graphql(
      `mutation($input: IdentifyInput!) { identify(input: $input) { id } }`,
      { input: { userId: 'gdpr-user', traits: { email: EMAIL, name: 'Gd', plan: 'pro', 'MSG-email': false, 'MSG-push': true, locale: 'pt_BR', Tz: 'Europe/Lisbon' } } },
      asSecret,
    );
    expect(identified.errors).toBeUndefined();
    const profileId = await eventually(async () => {
      const found = await platform.graphql<{ profileByIdentity: { id: string } | null }>(`{ profileByIdentity(kind: USER_ID, value: "gdpr-user") { id } }`, {}, asSecret);
      return found.data?.profileByIdentity?.id;
    }, 'the profile');

    const tracked = await onceProfileKnown(() =>
      platform.graphql(
        `mutation($input: TrackEventInput!) { track(input: $input) { id } }`,
        { input: { profileId, name: 'Order Placed', properties: { total: 42, currency: 'EUR' } } },
        asSecret,
      ),
    );
    expect(tracked.errors).toBeUndefined();
    // Nobody is connected to answer: the call ends UNREACHABLE, and is kept all the same.
    const callee = await platform.graphql<{ createProfile: { id: string } }>(`mutation { createProfile(input: { externalId: "gdpr-callee" }) { id } }`, {}, asSecret);
    const placed = await onceProfileKnown(() =>
      platform.graphql<{ placeCall: { id: string; state: string } }>(
        `mutation($input: PlaceCallInput!) { placeCall(input: $input) { id state } }`,
        { input: { callerProfileId: profileId, calleeProfileId: callee.data!.createProfile.id, reason: 'About your order' } },
        asSecret,
      ),
    );
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeCall.state).toBe('UNREACHABLE');
    const segmentId = (await platform.graphql<{ createSegment: { id: string } }>(`mutation { createSegment(input: { name: "VIP", kind: STATIC }) { id } }`, {}, asSecret)).data!
      .createSegment.id;
    const added = await onceProfileKnown(() =>
      platform.graphql(`mutation($s: ID!, $p: [ID!]!) { addSegmentMembers(segmentId: $s, profileIds: $p) { id } }`, { s: segmentId, p: [profileId] }, asSecret),
    );
    expect(added.errors).toBeUndefined();

    const exported = await eventually(async () => {
      const result = await platform.graphql<{ profileExport: ProfileExport }>(EXPORT, { id: profileId }, asSecret);
      expect(result.errors).toBeUndefined();
      const names = result.data!.profileExport.events.map((event) => event.name);
      return ['identify', 'Order Placed', 'Call Unreachable'].every((name) => names.includes(name)) ? result.data!.profileExport : undefined;
    }, 'the events in the export');

    expect(exported.profileId).toBe(profileId);
    expect(Number.isNaN(Date.parse(exported.exportedAt))).toBe(false);
    expect(exported.profile).toMatchObject({
      id: profileId,
      externalId: 'gdpr-user',
      email: EMAIL,
      name: 'Gd',
      timeZone: 'Europe/Lisbon',
      locale: 'pt-BR',
      properties: { plan: 'pro' },
      consent: { email: { subscribed: false }, push: { subscribed: true } },
      identities: expect.arrayContaining([expect.objectContaining({ kind: 'user_id', value: 'gdpr-user' })]),
      mergeHistory: [],
    });
    expect(exported.profile.subscriptions).toEqual(
      expect.arrayContaining([
        { channel: 'EMAIL', state: 'UNSUBSCRIBED', updatedAt: expect.any(String) },
        { channel: 'PUSH', state: 'SUBSCRIBED', updatedAt: expect.any(String) },
      ]),
    );
    // Oldest first; the call's outcomes came back from voice as events (both at the placing instant).
    const names = exported.events.map((event) => event.name);
    expect(names.slice(0, 2)).toEqual(['identify', 'Order Placed']);
    expect(names.slice(2).sort()).toEqual(['Call Placed', 'Call Unreachable']);
    expect(exported.events[1]).toMatchObject({ type: 'track', properties: { total: 42, currency: 'EUR' } });
    expect(exported.segments).toMatchObject([{ segmentId, name: 'VIP' }]);
    expect(exported.calls).toHaveLength(1);
    expect(exported.calls[0]).toMatchObject({ id: placed.data!.placeCall.id, callerProfileId: profileId, state: 'unreachable' });
    expect(exported.calls[0]!.participants.map((participant) => participant.profileId)).toContain(profileId);
    expect(exported.calls[0]!.timeline.map((change) => change.state)).toEqual(['placed', 'unreachable']);

    const refused = await platform.graphql(EXPORT, { id: profileId }, asPublishable);
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(refused.errors?.[0]?.message).toMatch(/secret key/);
    expect(JSON.stringify(refused)).not.toContain(EMAIL);
    expect(platform.logLines.join('\n')).not.toContain(EMAIL);
  });
});
