import { randomUUID } from 'node:crypto';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { ProfileService } from '../src/profiles/profile.service.js';
import { publishableKeyCaller, secretKeyCaller, startProfilesSubgraph } from './support.js';

const CREATE = `mutation($input: CreateProfileInput!) { createProfile(input: $input) {
  id externalId anonymousId email phone name properties createdAt updatedAt } }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { id externalId email phone } } }`;

interface ProfileView {
  id: string;
  externalId: string | null;
  email: string | null;
  phone: string | null;
  properties: Record<string, unknown>;
}

describe('profiles subgraph', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startProfilesSubgraph();
  });
  afterAll(() => sut?.close());

  const createProfile = async (projectId: string, input: Record<string, unknown>) => {
    const result = await sut.query<{ createProfile: ProfileView }>(CREATE, { input }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.createProfile;
  };

  it('creates, reads and merges properties of a profile', async () => {
    const project = randomUUID();
    const created = await createProfile(project, {
      externalId: 'user-1',
      email: 'ada@example.com',
      phone: '+14155550123',
      name: 'Ada',
      properties: { plan: 'pro', visits: 3, tags: ['a'], nested: { deep: true } },
    });
    expect(created).toMatchObject({ externalId: 'user-1', email: 'ada@example.com', phone: '+14155550123' });

    const read = await sut.query<{ profile: ProfileView }>(
      `query($id: ID!) { profile(id: $id) { id externalId email phone name properties } }`,
      { id: created.id },
      secretKeyCaller(project),
    );
    expect(read.data!.profile).toEqual({
      id: created.id,
      externalId: 'user-1',
      email: 'ada@example.com',
      phone: '+14155550123',
      name: 'Ada',
      properties: { plan: 'pro', visits: 3, tags: ['a'], nested: { deep: true } },
    });

    const merged = await sut.query<{ updateProfileProperties: ProfileView }>(
      `mutation($id: ID!, $p: JSON!) { updateProfileProperties(id: $id, properties: $p) { properties } }`,
      { id: created.id, p: { plan: 'free', country: 'PT' } },
      secretKeyCaller(project),
    );
    expect(merged.errors).toBeUndefined();
    expect(merged.data!.updateProfileProperties.properties).toEqual({ plan: 'free', visits: 3, tags: ['a'], nested: { deep: true }, country: 'PT' });

    const notObject = await sut.query(
      `mutation($id: ID!) { updateProfileProperties(id: $id, properties: [1, 2]) { id } }`,
      { id: created.id },
      secretKeyCaller(project),
    );
    expect(notObject.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'properties' });
  });

  it('pages through profiles with cursors in creation order', async () => {
    const project = randomUUID();
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await createProfile(project, { anonymousId: `anon-${n}` })).id);
    const page = `query($after: String) { profiles(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
    type Connection = { profiles: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const first = await sut.query<Connection>(page, {}, secretKeyCaller(project));
    expect(first.data!.profiles.edges.map((edge) => edge.node.id)).toEqual(ids.slice(0, 2));
    expect(first.data!.profiles.pageInfo.hasNextPage).toBe(true);
    const second = await sut.query<Connection>(page, { after: first.data!.profiles.pageInfo.endCursor }, secretKeyCaller(project));
    expect(second.data!.profiles.edges.map((edge) => edge.node.id)).toEqual(ids.slice(2));
    expect(second.data!.profiles.pageInfo.hasNextPage).toBe(false);

    const badCursor = await sut.query(page, { after: 'nonsense' }, secretKeyCaller(project));
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('refuses a second profile with the same externalId in a project, but not in another', async () => {
    const project = randomUUID();
    await createProfile(project, { externalId: 'dup' });
    const again = await sut.query(CREATE, { input: { externalId: 'dup' } }, secretKeyCaller(project));
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.externalId' });
    await createProfile(randomUUID(), { externalId: 'dup' });
  });

  it.each([
    [{ anonymousId: 'a', email: 'not-an-email' }, 'input.email'],
    [{ anonymousId: 'a', phone: '0044 20 7946 0000' }, 'input.phone'],
    [{ name: 'Nobody' }, 'input.externalId'],
    [{ externalId: 'x', properties: [1, 2] }, 'input.properties'],
  ])('names the invalid field for %j', async (input, field) => {
    const project = randomUUID();
    const result = await sut.query(CREATE, { input }, secretKeyCaller(project));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    const list = await sut.query<{ profiles: { edges: unknown[] } }>(`{ profiles { edges { cursor } } }`, {}, secretKeyCaller(project));
    expect(list.data!.profiles.edges).toHaveLength(0);
  });

  it('refuses publishable keys on profile mutations and reads', async () => {
    const project = randomUUID();
    const created = await sut.query(CREATE, { input: { externalId: 'pk' } }, publishableKeyCaller(project));
    expect(created.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const read = await sut.query(`{ profiles { edges { cursor } } }`, {}, publishableKeyCaller(project));
    expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('isolates projects: by id, in lists and through entity references', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const profile = await createProfile(a, { externalId: 'isolated', email: 'iso@example.com' });
    const byId = await sut.query(`query($id: ID!) { profile(id: $id) { id } }`, { id: profile.id }, secretKeyCaller(b));
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await sut.query<{ profiles: { edges: { node: { id: string } }[] } }>(`{ profiles(first: 100) { edges { node { id } } } }`, {}, secretKeyCaller(b));
    expect(list.data!.profiles.edges).toHaveLength(0);
    const merge = await sut.query(`mutation($id: ID!) { updateProfileProperties(id: $id, properties: { x: 1 }) { id } }`, { id: profile.id }, secretKeyCaller(b));
    expect(merge.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const entities = await sut.query<{ _entities: unknown[] }>(ENTITIES, { r: [{ __typename: 'Profile', id: profile.id }] }, secretKeyCaller(b));
    expect(entities.data!._entities).toEqual([null]);
  });

  it('resolves entity references in one batch and hides personal data from publishable keys', async () => {
    const project = randomUUID();
    const profiles = await Promise.all(
      [1, 2, 3].map((n) => createProfile(project, { externalId: `batch-${n}`, email: `u${n}@example.com`, phone: `+1415555000${n}` })),
    );
    const service = sut.app.get(ProfileService);
    const findMany = service.findMany.bind(service);
    const batches: (readonly string[])[] = [];
    service.findMany = (projectId, ids) => {
      batches.push(ids);
      return findMany(projectId, ids);
    };
    try {
      const r = [...profiles.map((p) => ({ __typename: 'Profile', id: p.id })), { __typename: 'Profile', id: 'not-a-uuid' }];
      const asSecret = await sut.query<{ _entities: (ProfileView | null)[] }>(ENTITIES, { r }, secretKeyCaller(project));
      expect(asSecret.errors).toBeUndefined();
      expect(asSecret.data!._entities).toEqual([
        ...profiles.map((p, i) => ({ id: p.id, externalId: `batch-${i + 1}`, email: `u${i + 1}@example.com`, phone: `+1415555000${i + 1}` })),
        null,
      ]);
      expect(batches).toHaveLength(1);

      const asPublishable = await sut.query<{ _entities: (ProfileView | null)[] }>(ENTITIES, { r: r.slice(0, 1) }, publishableKeyCaller(project));
      expect(asPublishable.data!._entities).toEqual([{ id: profiles[0]!.id, externalId: 'batch-1', email: null, phone: null }]);
    } finally {
      service.findMany = findMany;
    }
  });

  it('announces created profiles through the outbox', async () => {
    const project = randomUUID();
    const created = await createProfile(project, { externalId: 'announced', email: 'secret@example.com' });
    await sut.flushOutbox();
    const stored = await sut.messaging.jsm.streams.getMessage(sut.messaging.subjects.streamName('profiles'), {
      last_by_subj: `${sut.prefix}profiles.${project}.created`,
    });
    const body = stored!.json<Record<string, unknown>>();
    expect(body).toMatchObject({ projectId: project, profileId: created.id, externalId: 'announced' });
    expect(JSON.stringify(body)).not.toContain('secret@example.com');
  });
});
