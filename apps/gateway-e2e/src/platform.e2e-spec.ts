import { bearer, startTestPlatform, type RunningPlatform } from '../../../tools/dev/test-platform.js';
import { onceProfileKnown } from './profile-known.js';

interface CreatedProject {
  project: { id: string };
  publishableKey: { key: string };
  secretKey: { key: string; apiKey: { id: string } };
}

interface Connection<TNode> {
  edges: { node: TNode }[];
}
interface ProfileById {
  profile: { id: string } | null;
}

describe('the platform through the gateway', () => {
  let platform: RunningPlatform;
  let a: CreatedProject;
  let b: CreatedProject;

  const createProject = async (name: string): Promise<CreatedProject> => {
    const result = await platform.graphql<{ createProject: CreatedProject }>(
      `mutation($name: String!) { createProject(input: { name: $name }) {
         project { id } publishableKey { key } secretKey { key apiKey { id } } } }`,
      { name },
      bearer(platform.adminToken),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createProject;
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ MAX_QUERY_DEPTH: '6', KEY_CACHE_TTL_MS: '1000' });
    a = await createProject('Project A');
    b = await createProject('Project B');
  }, 180_000);
  afterAll(() => platform?.stop(), 60_000);

  it('writes a profile, an event and a segment with a secret key and reads them back in one query across three subgraphs', async () => {
    const asA = bearer(a.secretKey.key);
    const profile = await platform.graphql<{ createProfile: { id: string } }>(
      `mutation { createProfile(input: { externalId: "user-1", email: "ada@example.com", name: "Ada" }) { id } }`,
      {},
      asA,
    );
    expect(profile.errors).toBeUndefined();
    const profileId = profile.data!.createProfile.id;

    const event = await onceProfileKnown(() =>
      platform.graphql(
        `mutation($input: TrackEventInput!) { track(input: $input) { id name } }`,
        { input: { profileId, name: 'Order Placed', properties: { total: 42, currency: 'EUR' } } },
        asA,
      ),
    );
    expect(event.errors).toBeUndefined();

    const segment = await platform.graphql<{ createSegment: { id: string } }>(
      `mutation { createSegment(input: { name: "Buyers", kind: STATIC }) { id } }`,
      {},
      asA,
    );
    expect(segment.errors).toBeUndefined();
    const segmentId = segment.data!.createSegment.id;
    const added = await onceProfileKnown(() =>
      platform.graphql(
        `mutation($segmentId: ID!, $profileIds: [ID!]!) { addSegmentMembers(segmentId: $segmentId, profileIds: $profileIds) { id size } }`,
        { segmentId, profileIds: [profileId] },
        asA,
      ),
    );
    expect(added.errors).toBeUndefined();

    const read = await platform.graphql<{ profile: unknown }>(
      `query($id: ID!) { profile(id: $id) {
         id externalId email
         events { edges { node { name properties } } }
         segments { id name size } } }`,
      { id: profileId },
      asA,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.profile).toMatchObject({
      id: profileId,
      externalId: 'user-1',
      email: 'ada@example.com',
      events: { edges: [{ node: { name: 'Order Placed', properties: { total: 42, currency: 'EUR' } } }] },
      segments: [{ id: segmentId, name: 'Buyers', size: 1 }],
    });

    const campaign = await platform.graphql<{ createCampaign: { audience: { id: string; name: string; size: number } } }>(
      `mutation($segmentId: ID!) { createCampaign(input: { name: "Win back", channel: EMAIL, audienceSegmentId: $segmentId }) {
         id audience { id name size } } }`,
      { segmentId },
      asA,
    );
    expect(campaign.errors).toBeUndefined();
    expect(campaign.data!.createCampaign.audience).toEqual({ id: segmentId, name: 'Buyers', size: 1 });

    // Project B's key sees none of it.
    const asB = bearer(b.secretKey.key);
    const byId = await platform.graphql<ProfileById>(`query($id: ID!) { profile(id: $id) { id } }`, { id: profileId }, asB);
    expect(byId.data?.profile ?? null).toBeNull();
    const lists = await platform.graphql(`{ profiles { edges { node { id } } } segments { id } campaigns { id } }`, {}, asB);
    expect(lists.errors).toBeUndefined();
    expect(lists.data).toEqual({ profiles: { edges: [] }, segments: [], campaigns: [] });
  });

  it('merges and erases profiles end to end, and the events and segments services follow both', async () => {
    const asB = bearer(b.secretKey.key);
    const eventually = async <T>(check: () => Promise<T | undefined>): Promise<T> => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const value = await check();
        if (value !== undefined) return value;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('condition not met within 10 s');
    };
    const create = async (input: string) =>
      (await platform.graphql<{ createProfile: { id: string } }>(`mutation { createProfile(input: ${input}) { id } }`, {}, asB)).data!.createProfile.id;
    const known = await create('{ externalId: "merge-user" }');
    const anonymous = await create('{ anonymousId: "merge-anon" }');
    // By the product's user id (events learns it from profiles' ProfileIdentified), and by profile id.
    for (const input of [{ userId: 'merge-user', name: 'Signed In' }, { profileId: anonymous, name: 'Browsed' }]) {
      const tracked = await onceProfileKnown(() => platform.graphql(`mutation($input: TrackEventInput!) { track(input: $input) { id } }`, { input }, asB));
      expect(tracked.errors).toBeUndefined();
    }
    const segmentId = (await platform.graphql<{ createSegment: { id: string } }>(`mutation { createSegment(input: { name: "Browsers", kind: STATIC }) { id } }`, {}, asB)).data!
      .createSegment.id;
    const added = await onceProfileKnown(() =>
      platform.graphql(`mutation($s: ID!, $p: [ID!]!) { addSegmentMembers(segmentId: $s, profileIds: $p) { id } }`, { s: segmentId, p: [anonymous] }, asB),
    );
    expect(added.errors).toBeUndefined();
    const membersOf = async () =>
      (await platform.graphql<{ segment: { size: number; members: { id: string }[] } }>(`query($s: ID!) { segment(id: $s) { size members { id } } }`, { s: segmentId }, asB)).data!
        .segment;

    const merged = await platform.graphql(
      `mutation($a: ID!, $b: ID!) { mergeProfiles(profileId: $a, mergedProfileId: $b) { id } }`,
      { a: known, b: anonymous },
      asB,
    );
    expect(merged.errors).toBeUndefined();
    const names = await eventually(async () => {
      const read = await platform.graphql<{ profile: { events: Connection<{ name: string }> } | null }>(`query($id: ID!) { profile(id: $id) { events { edges { node { name } } } } }`, { id: known }, asB);
      const found = read.data?.profile?.events.edges.map((edge) => edge.node.name).sort();
      return found?.length === 2 ? found : undefined;
    });
    expect(names).toEqual(['Browsed', 'Signed In']);
    // The merged-away profile's membership is the survivor's now.
    expect(await eventually(async () => ((await membersOf()).members[0]?.id === known ? membersOf() : undefined))).toEqual({ size: 1, members: [{ id: known }] });

    const erased = await platform.graphql<{ eraseProfile: string[] }>(`mutation($id: ID!) { eraseProfile(id: $id) }`, { id: known }, asB);
    expect(erased.errors).toBeUndefined();
    expect(erased.data!.eraseProfile.sort()).toEqual([known, anonymous].sort());
    await eventually(async () => {
      const left = await platform.graphql<{ events: Connection<{ id: string }> }>(`{ events(first: 50) { edges { node { id } } } }`, {}, asB);
      return left.data?.events.edges.length === 0 ? true : undefined;
    });
    await eventually(async () => ((await membersOf()).size === 0 ? true : undefined));
    const gone = await platform.graphql<ProfileById>(`query($id: ID!) { profile(id: $id) { id } }`, { id: known }, asB);
    expect(gone.data?.profile ?? null).toBeNull();
  });

  it('refuses a request without a key', async () => {
    const result = await platform.graphql(`{ project { id } }`);
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(result.errors?.[0]?.message).toMatch(/Missing API key/);
  });

  it('refuses a publishable key on a secret-only mutation', async () => {
    const result = await platform.graphql(`mutation { createSegment(input: { name: "x", kind: STATIC }) { id } }`, {}, bearer(a.publishableKey.key));
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(result.errors?.[0]?.message).toMatch(/secret key/);
  });

  it('refuses a forged internal header', async () => {
    const result = await platform.graphql(`{ project { id } }`, {}, {
      ...bearer(b.secretKey.key),
      'x-boomerang-context': Buffer.from(JSON.stringify({ projectId: a.project.id, scope: 'secret' })).toString('base64url'),
      'x-boomerang-signature': 'forged',
    });
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.message).toMatch(/internal header/);
  });

  it('refuses a query over the depth limit', async () => {
    const result = await platform.graphql(`{ profiles { edges { node { events { edges { node { name } } } } } } }`, {}, bearer(a.secretKey.key));
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.message).toBe('Query is nested 7 levels deep; the limit is 6');
  });

  it('refuses a revoked key within seconds', async () => {
    const key = a.secretKey.key;
    expect((await platform.graphql(`{ project { id } }`, {}, bearer(key))).data).toEqual({ project: { id: a.project.id } });
    const revoked = await platform.graphql(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: a.secretKey.apiKey.id }, bearer(key));
    expect(revoked.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the gateway's key cache TTL in this run
    const refused = await platform.graphql(`{ project { id } }`, {}, bearer(key));
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED', reason: 'KEY_REVOKED' } });
  });

  it('never writes personal data to the logs', () => {
    expect(platform.logLines.join('\n')).not.toContain('ada@example.com');
  });
});
