import { randomUUID } from 'node:crypto';
import { nanos } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { ProfileDeleted, ProfileIdentified, ProfileMerged, type MessageContract } from '@boomerang/contracts';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { INGESTED_EVENTS_DURABLE } from '../src/ingestion/ingested-events.consumer.js';
import {
  IngestedEventsStream,
  ingestedEvent,
  publishableKeyCaller,
  recordWarnings,
  secretKeyCaller,
  startProfilesSubgraph,
  type LoggedWarning,
} from './support.js';

const BY_IDENTITY = `query($kind: IdentityKind!, $value: String!) { profileByIdentity(kind: $kind, value: $value) {
  id externalId anonymousId email name properties identities { kind value } } }`;

interface ProfileView {
  id: string;
  externalId: string | null;
  anonymousId: string | null;
  email: string | null;
  name: string | null;
  properties: Record<string, unknown>;
  identities: { kind: string; value: string }[];
}

describe('profiles: identities from ingested events', () => {
  let sut: TestSubgraph;
  let events: IngestedEventsStream;
  let warnings: LoggedWarning[];

  beforeAll(async () => {
    sut = await startProfilesSubgraph();
    // A short duplicate window lets the inbox test redeliver a message id.
    events = await IngestedEventsStream.declare(sut, { duplicate_window: nanos(200) });
    warnings = recordWarnings(sut);
  });
  afterAll(() => sut?.close());

  const publish = (projectId: string, fields: Record<string, unknown>, msgID: string = randomUUID()) =>
    events.publish(ingestedEvent(projectId, { messageId: msgID, name: String(fields.type ?? 'track'), ...fields }));
  /** Every published event handled and acknowledged. */
  const processed = () => events.handled();
  const byIdentity = async (projectId: string, kind: string, value: string) => {
    const result = await sut.query<{ profileByIdentity: ProfileView | null }>(BY_IDENTITY, { kind, value }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.profileByIdentity;
  };
  const lastMessage = async (contract: MessageContract, projectId: string) => {
    await sut.flushOutbox();
    const stored = await sut.messaging.jsm.streams.getMessage(sut.messaging.subjects.streamName('profiles'), {
      last_by_subj: sut.messaging.subjects.subject(contract, projectId),
    });
    return stored!.json<Record<string, unknown>>();
  };

  it('attaches an identify after anonymous activity to the same profile and sets its traits', async () => {
    const project = randomUUID();
    await publish(project, { type: 'track', name: 'Viewed', anonymousId: 'anon-1' });
    await processed();
    const anonymous = await byIdentity(project, 'ANONYMOUS_ID', 'anon-1');
    expect(anonymous).toMatchObject({ externalId: null, anonymousId: 'anon-1' });

    await publish(project, {
      type: 'identify',
      userId: 'user-1',
      anonymousId: 'anon-1',
      traits: { plan: 'pro', email: 'Ada@Example.com', name: 'Ada', phone: 'not-a-phone' },
    });
    await processed();
    const identified = await byIdentity(project, 'USER_ID', 'user-1');
    expect(identified).toMatchObject({ id: anonymous!.id, externalId: 'user-1', email: 'Ada@Example.com', name: 'Ada', properties: { plan: 'pro' } });
    expect(identified!.identities).toEqual([
      { kind: 'ANONYMOUS_ID', value: 'anon-1' },
      { kind: 'USER_ID', value: 'user-1' },
      { kind: 'EMAIL', value: 'ada@example.com' },
    ]);
    expect((await byIdentity(project, 'EMAIL', 'ada@example.com'))!.id).toBe(anonymous!.id);
    // The invalid phone was dropped and logged by name, not value.
    expect(warnings.some((w) => w.message === 'invalid traits ignored' && JSON.stringify(w.fields.traits) === '["phone"]')).toBe(true);
    expect(JSON.stringify(warnings)).not.toContain('not-a-phone');

    const list = await sut.query<{ profiles: { edges: { node: { id: string } }[] } }>(`{ profiles { edges { node { id } } } }`, {}, secretKeyCaller(project));
    expect(list.data!.profiles.edges.map((edge) => edge.node.id)).toEqual([anonymous!.id]);
    expect(await lastMessage(ProfileIdentified, project)).toMatchObject({ profileId: anonymous!.id, userId: 'user-1', anonymousIds: ['anon-1'] });

    // Publishable keys reach profiles only through entity references, without email/phone identities.
    const entities = await sut.query<{ _entities: { identities: { kind: string }[] }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { identities { kind value } } } }`,
      { r: [{ __typename: 'Profile', id: anonymous!.id }] },
      publishableKeyCaller(project),
    );
    expect(entities.data!._entities[0]!.identities.map((identity) => identity.kind)).toEqual(['ANONYMOUS_ID', 'USER_ID']);
  });

  it('joins two profiles on alias, keeps a tombstone and announces the merge', async () => {
    const project = randomUUID();
    await publish(project, { type: 'track', anonymousId: 'anon-old', properties: {} });
    await publish(project, { type: 'identify', userId: 'user-2', anonymousId: 'anon-new', traits: { plan: 'pro' } });
    await processed();
    const anonymous = (await byIdentity(project, 'ANONYMOUS_ID', 'anon-old'))!;
    const user = (await byIdentity(project, 'USER_ID', 'user-2'))!;
    expect(anonymous.id).not.toBe(user.id);

    await publish(project, { type: 'alias', userId: 'user-2', previousId: 'anon-old' });
    await processed();
    expect((await byIdentity(project, 'ANONYMOUS_ID', 'anon-old'))!.id).toBe(user.id);
    const viaMergedId = await sut.query<{ profile: { id: string } }>(`query($id: ID!) { profile(id: $id) { id } }`, { id: anonymous.id }, secretKeyCaller(project));
    expect(viaMergedId.data!.profile.id).toBe(user.id);
    const list = await sut.query<{ profiles: { edges: { node: { id: string } }[] } }>(`{ profiles { edges { node { id } } } }`, {}, secretKeyCaller(project));
    expect(list.data!.profiles.edges.map((edge) => edge.node.id)).toEqual([user.id]);
    expect(await lastMessage(ProfileMerged, project)).toMatchObject({ profileId: user.id, mergedProfileId: anonymous.id });

    const exported = await sut.query<{ exportProfile: Record<string, unknown> }>(`query($id: ID!) { exportProfile(id: $id) }`, { id: user.id }, secretKeyCaller(project));
    expect(exported.errors).toBeUndefined();
    const data = exported.data!.exportProfile as { profile: unknown; identities: { kind: string; value: string }[]; mergeHistory: unknown[] };
    expect(data.profile).toMatchObject({ id: user.id, externalId: 'user-2', properties: { plan: 'pro' } });
    expect(data.identities.map(({ kind, value }) => `${kind}:${value}`).sort()).toEqual(['anonymous_id:anon-new', 'anonymous_id:anon-old', 'user_id:user-2']);
    expect(data.mergeHistory).toEqual([{ mergedProfileId: anonymous.id, mergedAt: expect.any(String) }]);
  });

  it("joins the profile that holds an identify's email or phone, and attaches new ids to it instead of creating one", async () => {
    const project = randomUUID();
    await publish(project, { type: 'identify', anonymousId: 'anon-holder', traits: { email: 'Eve@Example.com', phone: '+351910000001' } });
    await processed();
    await publish(project, { type: 'track', anonymousId: 'anon-visitor' });
    await processed();
    const holder = (await byIdentity(project, 'EMAIL', 'eve@example.com'))!;
    const visitor = (await byIdentity(project, 'ANONYMOUS_ID', 'anon-visitor'))!;
    expect(visitor.id).not.toBe(holder.id);

    // Anonymous activity, then an identify naming the holder's email: one profile (the older survives).
    await publish(project, { type: 'identify', anonymousId: 'anon-visitor', traits: { email: 'EVE@example.com', plan: 'pro' } });
    await processed();
    expect(await byIdentity(project, 'ANONYMOUS_ID', 'anon-visitor')).toMatchObject({ id: holder.id, properties: { plan: 'pro' } });
    expect(await lastMessage(ProfileMerged, project)).toMatchObject({ profileId: holder.id, mergedProfileId: visitor.id });
    const list = async () =>
      (await sut.query<{ profiles: { edges: { node: { id: string } }[] } }>(`{ profiles { edges { node { id } } } }`, {}, secretKeyCaller(project))).data!.profiles.edges.map(
        (edge) => edge.node.id,
      );
    expect(await list()).toEqual([holder.id]);

    // Ids nobody holds yet, with a known phone: they join the phone's profile.
    await publish(project, { type: 'identify', userId: 'user-eve', anonymousId: 'anon-phone', traits: { phone: '+351910000001' } });
    await processed();
    expect((await byIdentity(project, 'USER_ID', 'user-eve'))!.id).toBe(holder.id);
    expect((await byIdentity(project, 'ANONYMOUS_ID', 'anon-phone'))!.id).toBe(holder.id);
    expect(await list()).toEqual([holder.id]);
    const exported = await sut.query<{ exportProfile: { mergeHistory: unknown[] } }>(`query($id: ID!) { exportProfile(id: $id) }`, { id: holder.id }, secretKeyCaller(project));
    expect(exported.data!.exportProfile.mergeHistory).toEqual([{ mergedProfileId: visitor.id, mergedAt: expect.any(String) }]);
  });

  it("records device ids and puts an unknown visitor on its device's profile, but never joins users through a device", async () => {
    const project = randomUUID();
    await publish(project, { type: 'track', userId: 'user-d1', anonymousId: 'anon-d1', deviceId: 'device-1' });
    await processed();
    const owner = (await byIdentity(project, 'DEVICE_ID', 'device-1'))!;
    expect(owner).toMatchObject({ externalId: 'user-d1' });
    expect(owner.identities).toContainEqual({ kind: 'DEVICE_ID', value: 'device-1' });

    // A new anonymous id on a known device: that device's profile.
    await publish(project, { type: 'track', anonymousId: 'anon-d2', deviceId: 'device-1' });
    await processed();
    expect((await byIdentity(project, 'ANONYMOUS_ID', 'anon-d2'))!.id).toBe(owner.id);

    // Another user on the same device: their own profile, nothing merged or refused; the device stays where it was.
    await publish(project, { type: 'identify', userId: 'user-d2', anonymousId: 'anon-d3', deviceId: 'device-1', traits: { plan: 'pro' } });
    await publish(project, { type: 'track', userId: 'user-d2', deviceId: 'device-2' });
    await processed();
    const other = (await byIdentity(project, 'USER_ID', 'user-d2'))!;
    expect(other.id).not.toBe(owner.id);
    expect(other.properties).toEqual({ plan: 'pro' });
    expect((await byIdentity(project, 'DEVICE_ID', 'device-1'))!.id).toBe(owner.id);
    expect((await byIdentity(project, 'DEVICE_ID', 'device-2'))!.id).toBe(other.id);
    expect(warnings.filter((w) => w.fields.projectId === project)).toEqual([]);
  });

  it('refuses to join profiles of different users: the message is acknowledged, logged and changes nothing', async () => {
    const project = randomUUID();
    await publish(project, { type: 'identify', userId: 'user-a', anonymousId: 'anon-a' });
    await publish(project, { type: 'identify', userId: 'user-b', anonymousId: 'anon-b' });
    await processed();
    const a = (await byIdentity(project, 'USER_ID', 'user-a'))!;
    const b = (await byIdentity(project, 'USER_ID', 'user-b'))!;

    const refusedId = `refused-${project}`;
    await publish(project, { type: 'track', userId: 'user-a', anonymousId: 'anon-b' }, refusedId);
    await processed();
    expect((await byIdentity(project, 'ANONYMOUS_ID', 'anon-b'))!.id).toBe(b.id);
    expect((await byIdentity(project, 'USER_ID', 'user-a'))!.identities).toEqual([
      { kind: 'ANONYMOUS_ID', value: 'anon-a' },
      { kind: 'USER_ID', value: 'user-a' },
    ]);
    const refusal = warnings.find((w) => w.fields.reason === 'IDENTITY_CONFLICT' && w.fields.projectId === project);
    expect(refusal?.fields.detail).toEqual(expect.stringContaining(b.id));
    const [inbox] = (await sut.app.get(DataSource).query(`SELECT count(*)::int AS n FROM "${sut.schema}".inbox WHERE message_id = $1`, [
      refusedId,
    ])) as { n: number }[];
    expect(inbox!.n).toBe(1);
    const deadLetters = await sut.messaging.jsm.streams
      .getMessage(sut.messaging.subjects.deadLetterStream, { last_by_subj: sut.messaging.subjects.deadLetterSubject(INGESTED_EVENTS_DURABLE) })
      .catch(() => null);
    expect(deadLetters).toBeNull();

    // The mutation refuses the same join, naming both profiles.
    const merge = await sut.query(`mutation($p: ID!, $m: ID!) { mergeProfiles(profileId: $p, mergedProfileId: $m) { id } }`, { p: a.id, m: b.id }, secretKeyCaller(project));
    expect(merge.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'IDENTITY_CONFLICT' });
    expect(merge.errors?.[0]?.message).toEqual(expect.stringContaining(a.id));
    expect(merge.errors?.[0]?.message).toEqual(expect.stringContaining(b.id));
  });

  it('handles a redelivered message id once (inbox)', async () => {
    const project = randomUUID();
    await publish(project, { type: 'identify', userId: 'user-i', traits: { plan: 'a' } }, `first-${project}`);
    await publish(project, { type: 'identify', userId: 'user-i', traits: { plan: 'b' } });
    await processed();
    await new Promise((resolve) => setTimeout(resolve, 400)); // past the stream's duplicate window
    const again = await publish(project, { type: 'identify', userId: 'user-i', traits: { plan: 'a' } }, `first-${project}`);
    expect(again.duplicate).toBe(false);
    await processed();
    expect((await byIdentity(project, 'USER_ID', 'user-i'))!.properties).toEqual({ plan: 'b' });
  });

  it('merges through the mutation, filters lists, erases and exports', async () => {
    const project = randomUUID();
    await publish(project, { type: 'identify', userId: 'user-m', traits: { plan: 'pro', tier: 1 } });
    await publish(project, { type: 'identify', anonymousId: 'anon-m', traits: { plan: 'free', country: 'PT' } });
    await publish(project, { type: 'identify', anonymousId: 'anon-other', traits: { plan: 'pro' } });
    await processed();
    const user = (await byIdentity(project, 'USER_ID', 'user-m'))!;
    const anonymous = (await byIdentity(project, 'ANONYMOUS_ID', 'anon-m'))!;

    const filtered = async (filter: Record<string, unknown>) => {
      const result = await sut.query<{ profiles: { edges: { node: { id: string } }[] } }>(
        `query($f: ProfileFilter) { profiles(filter: $f) { edges { node { id } } } }`,
        { f: filter },
        secretKeyCaller(project),
      );
      expect(result.errors).toBeUndefined();
      return result.data!.profiles.edges.map((edge) => edge.node.id);
    };
    expect(await filtered({ propertyEquals: { plan: 'pro' }, hasUserId: true })).toEqual([user.id]);
    expect(await filtered({ propertyEquals: { plan: 'pro' } })).toHaveLength(2);
    expect(await filtered({ hasUserId: false })).toHaveLength(2);
    const badFilter = await sut.query(`{ profiles(filter: { propertyEquals: [1] }) { edges { cursor } } }`, {}, secretKeyCaller(project));
    expect(badFilter.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.propertyEquals' });

    const merged = await sut.query<{ mergeProfiles: ProfileView }>(
      `mutation($p: ID!, $m: ID!) { mergeProfiles(profileId: $p, mergedProfileId: $m) { id properties identities { kind value } } }`,
      { p: user.id, m: anonymous.id },
      secretKeyCaller(project),
    );
    expect(merged.errors).toBeUndefined();
    expect(merged.data!.mergeProfiles.properties).toEqual({ plan: 'pro', tier: 1, country: 'PT' });
    // Oldest first, and these two can be created in the same instant (then by kind): compared as a set.
    expect([...merged.data!.mergeProfiles.identities].sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'ANONYMOUS_ID', value: 'anon-m' },
      { kind: 'USER_ID', value: 'user-m' },
    ]);
    const self = await sut.query(`mutation($p: ID!) { mergeProfiles(profileId: $p, mergedProfileId: $p) { id } }`, { p: user.id }, secretKeyCaller(project));
    expect(self.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mergedProfileId' });

    const erased = await sut.query<{ eraseProfile: string[] }>(`mutation($id: ID!) { eraseProfile(id: $id) }`, { id: anonymous.id }, secretKeyCaller(project));
    expect(erased.errors).toBeUndefined();
    expect(erased.data!.eraseProfile.sort()).toEqual([user.id, anonymous.id].sort());
    const gone = await sut.query(`query($id: ID!) { profile(id: $id) { id } }`, { id: user.id }, secretKeyCaller(project));
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await byIdentity(project, 'USER_ID', 'user-m')).toBeNull();
    expect(await byIdentity(project, 'ANONYMOUS_ID', 'anon-m')).toBeNull();
    expect(await filtered({})).toHaveLength(1);
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('profiles');
    const info = await sut.messaging.jsm.streams.info(stream, { subjects_filter: sut.messaging.subjects.subject(ProfileDeleted, project) });
    expect(info.state.subjects?.[sut.messaging.subjects.subject(ProfileDeleted, project)]).toBe(2);
    expect([user.id, anonymous.id]).toContain((await lastMessage(ProfileDeleted, project)).profileId);
  });

  it('isolates projects on every identity query and mutation, and refuses publishable keys', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await publish(a, { type: 'identify', userId: 'user-iso', anonymousId: 'anon-iso', traits: { plan: 'pro' } });
    await publish(a, { type: 'track', anonymousId: 'anon-iso-2' });
    await processed();
    const profile = (await byIdentity(a, 'USER_ID', 'user-iso'))!;
    const other = (await byIdentity(a, 'ANONYMOUS_ID', 'anon-iso-2'))!;

    expect(await byIdentity(b, 'USER_ID', 'user-iso')).toBeNull();
    const list = await sut.query<{ profiles: { edges: unknown[] } }>(
      `{ profiles(filter: { propertyEquals: { plan: "pro" }, hasUserId: true }) { edges { cursor } } }`,
      {},
      secretKeyCaller(b),
    );
    expect(list.data!.profiles.edges).toHaveLength(0);
    const calls: [string, Record<string, unknown>][] = [
      [`mutation($p: ID!, $m: ID!) { mergeProfiles(profileId: $p, mergedProfileId: $m) { id } }`, { p: profile.id, m: other.id }],
      [`mutation($id: ID!) { eraseProfile(id: $id) }`, { id: profile.id }],
      [`query($id: ID!) { exportProfile(id: $id) }`, { id: profile.id }],
    ];
    for (const [query, variables] of calls) {
      const result = await sut.query(query, variables, secretKeyCaller(b));
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const asPublishable = await sut.query(query, variables, publishableKeyCaller(a));
      expect(asPublishable.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const lookup = await sut.query(BY_IDENTITY, { kind: 'USER_ID', value: 'user-iso' }, publishableKeyCaller(a));
    expect(lookup.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await byIdentity(a, 'USER_ID', 'user-iso'))!.id).toBe(profile.id);
  });
});
