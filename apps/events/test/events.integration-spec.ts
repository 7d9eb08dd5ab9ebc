import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { newKnownProfile, newKnownProfiles, seedKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import { EventKind } from '../src/events/dto/ingest-event.input.js';
import { EventService } from '../src/events/event.service.js';
import { publishableKeyCaller, publishedEvents, secretKeyCaller, startEventsSubgraph } from './support.js';


const TRACK = `mutation($input: TrackEventInput!) { track(input: $input) {
  id messageId name properties context timestamp receivedAt duplicate profile { id } } }`;

interface EventView {
  id: string;
  messageId: string;
  name: string;
  properties: Record<string, unknown>;
  timestamp: string;
  context?: Record<string, unknown> | null;
  duplicate?: boolean;
  profile: { id: string } | null;
}
type Connection = { edges: { cursor: string; node: { id: string; name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

describe('events subgraph', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startEventsSubgraph();
  });
  afterAll(() => sut?.close());

  /** Tracks as a client app would (publishable key) unless the input names a profile id, which only servers may. */
  const track = async (projectId: string, input: Record<string, unknown>, caller = input.profileId ? secretKeyCaller(projectId) : publishableKeyCaller(projectId)) => {
    const result = await sut.query<{ track: EventView }>(TRACK, { input }, caller);
    expect(result.errors).toBeUndefined();
    return result.data!.track;
  };

  const ingestedCount = async (projectId: string): Promise<number> => (await publishedEvents(sut, projectId)).length;

  it('tracks with a publishable key and reads the event back with a secret key', async () => {
    const project = randomUUID();
    const profileId = await newKnownProfile(sut, project);
    const byServer = await track(project, { profileId, name: 'Order Completed', properties: { total: 42.5, items: [{ sku: 'A' }] }, timestamp: '2026-01-02T03:04:05.678Z' });
    const tracked = await track(project, { userId: 'user-1', name: 'Order Completed', properties: { total: 42.5 }, timestamp: '2026-01-02T03:04:05.678Z' });
    // A publishable key does not get to the profile (it would read the profile's data and events).
    expect(tracked).toMatchObject({ name: 'Order Completed', timestamp: '2026-01-02T03:04:05.678Z', profile: null, duplicate: false });
    expect(tracked.messageId).toBeTruthy();

    const read = await sut.query<{ event: EventView }>(
      `query($id: ID!) { event(id: $id) { id messageId name properties timestamp profile { id } } }`,
      { id: byServer.id },
      secretKeyCaller(project),
    );
    expect(read.data!.event).toEqual({
      id: byServer.id,
      messageId: byServer.messageId,
      name: 'Order Completed',
      properties: { total: 42.5, items: [{ sku: 'A' }] },
      timestamp: '2026-01-02T03:04:05.678Z',
      profile: { id: profileId },
    });
  });

  it('is idempotent on messageId: a repeat returns the original and publishes nothing', async () => {
    const project = randomUUID();
    const input = { profileId: await newKnownProfile(sut, project), messageId: 'msg-1', name: 'Signed Up', properties: { n: 1 } };
    const first = await track(project, input);
    expect(first.duplicate).toBe(false);
    const repeat = await track(project, { ...input, name: 'Changed', properties: { n: 2 } });
    expect(repeat).toEqual({ ...first, duplicate: true });
    expect(await ingestedCount(project)).toBe(1);

    const otherProject = randomUUID();
    await seedKnownProfiles(sut, otherProject, [input.profileId]);
    const elsewhere = await track(otherProject, input);
    expect(elsewhere.id).not.toBe(first.id);
  });

  it('never answers a publishable key with what it did not send: a reused messageId gets back its own event, the id and the duplicate flag', async () => {
    const project = randomUUID();
    const secret = await track(project, { profileId: await newKnownProfile(sut, project), messageId: 'order-9', name: 'Charged', properties: { amount: 990, card: '4242' } });
    const probe = await track(project, { anonymousId: 'attacker', messageId: 'order-9', name: 'Probe', properties: {} });
    expect(probe).toMatchObject({ id: secret.id, messageId: 'order-9', name: 'Probe', properties: {}, duplicate: true, profile: null });
    expect(JSON.stringify(probe)).not.toContain('4242');
    const identified = await sut.query<{ identify: EventView }>(
      `mutation($input: IdentifyInput!) { identify(input: $input) { id name properties context duplicate } }`,
      { input: { anonymousId: 'attacker', messageId: 'order-9', traits: {} } },
      publishableKeyCaller(project),
    );
    expect(identified.data!.identify).toEqual({ id: secret.id, name: 'identify', properties: {}, context: null, duplicate: true });
    expect(await ingestedCount(project)).toBe(1);
  });

  it('tracks by the product\'s user id or anonymous id, for server-side callers that know no profile id', async () => {
    const project = randomUUID();
    const byUser = await track(project, { userId: 'user-42', name: 'Upgraded', properties: { plan: 'pro' } });
    const byDevice = await track(project, { anonymousId: 'anon-7', name: 'Opened' });
    const published = await publishedEvents(sut, project);
    expect(published.map(({ eventId, userId, anonymousId, name }) => ({ eventId, userId, anonymousId, name }))).toEqual([
      { eventId: byUser.id, userId: 'user-42', anonymousId: null, name: 'Upgraded' },
      { eventId: byDevice.id, userId: null, anonymousId: 'anon-7', name: 'Opened' },
    ]);
  });

  it('announces ingested events through the outbox', async () => {
    const project = randomUUID();
    const tracked = await track(project, { profileId: await newKnownProfile(sut, project), name: 'Viewed', properties: { page: '/' } });
    const published = await publishedEvents(sut, project);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ projectId: project, eventId: tracked.id, messageId: tracked.messageId, name: 'Viewed', properties: { page: '/' } });
  });

  it.each([
    [{ profileId: 'nope', name: 'x' }, 'input.profileId'],
    [{ name: 'x' }, 'input.userId'],
    [{ userId: '', name: 'x' }, 'input.userId'],
    [{ profileId: randomUUID(), name: '' }, 'input.name'],
    [{ profileId: randomUUID(), name: 'x', properties: [1] }, 'input.properties'],
  ])('names the invalid field for %j', async (input, field) => {
    const project = randomUUID();
    const result = await sut.query(TRACK, { input }, publishableKeyCaller(project));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    const list = await sut.query<{ events: Connection }>(`{ events { edges { cursor } } }`, {}, secretKeyCaller(project));
    expect(list.data!.events.edges).toHaveLength(0);
  });

  it('keeps reads secret-only', async () => {
    const project = randomUUID();
    const profileId = await newKnownProfile(sut, project);
    const tracked = await track(project, { profileId, name: 'x' });
    const byId = await sut.query(`query($id: ID!) { event(id: $id) { id } }`, { id: tracked.id }, publishableKeyCaller(project));
    expect(byId.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const list = await sut.query(`{ events { edges { cursor } } }`, {}, publishableKeyCaller(project));
    expect(list.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Nor through the entity another subgraph's field would lead to.
    const entities = await sut.query(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { events { edges { node { id properties } } } } } }`,
      { r: [{ __typename: 'Profile', id: profileId }] },
      publishableKeyCaller(project),
    );
    expect(entities.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(entities.data ?? null)).not.toContain(tracked.id);
  });

  it('filters by name, call type, time range and properties, on the project and on Profile.events, and pages Profile.events', async () => {
    const project = randomUUID();
    const profileId = await newKnownProfile(sut, project);
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
    const service = sut.app.get(EventService);
    const { eventIds } = await service.ingest({ projectId: project, scope: 'secret' }, [
      { type: EventKind.TRACK, profileId, name: 'Order', properties: { plan: 'pro', total: 10 }, timestamp: new Date(at(0)) },
      { type: EventKind.PAGE, profileId, name: 'Pricing', properties: { plan: 'pro' }, timestamp: new Date(at(1)) },
      { type: EventKind.TRACK, profileId, name: 'Order', properties: { plan: 'free', total: 0 }, timestamp: new Date(at(2)) },
      { type: EventKind.IDENTIFY, profileId, traits: { plan: 'pro' }, timestamp: new Date(at(3)) },
      { type: EventKind.TRACK, profileId, name: 'Order', properties: { plan: 'pro', total: 30 }, timestamp: new Date(at(4)) },
    ]);
    const ids = (indexes: number[]) => indexes.map((i) => eventIds[i]);
    const EDGES = `edges { node { id } } pageInfo { hasNextPage endCursor }`;
    const VARIABLE_TYPES: Record<string, string> = { since: 'DateTime', until: 'DateTime', props: 'JSON', after: 'String' };
    /** The declarations of the variables given (GraphQL refuses declared ones left unused). */
    const declared = (variables: Record<string, unknown>, more: string[] = []) => {
      const all = [...more, ...Object.keys(variables).map((name) => `$${name}: ${VARIABLE_TYPES[name]}`)];
      return all.length ? `(${all.join(', ')})` : '';
    };
    const listed = async (filters: string, variables: Record<string, unknown> = {}) => {
      const result = await sut.query<{ events: Connection }>(`query${declared(variables)} { events(${filters}) { ${EDGES} } }`, variables, secretKeyCaller(project));
      expect(result.errors).toBeUndefined();
      return result.data!.events.edges.map((edge) => edge.node.id);
    };
    const ofProfile = async (filters: string, variables: Record<string, unknown> = {}) => {
      const result = await sut.query<{ _entities: { events: Connection }[] }>(
        `query${declared(variables, ['$r: [_Any!]!'])} { _entities(representations: $r) { ... on Profile { events(${filters}) { ${EDGES} } } } }`,
        { r: [{ __typename: 'Profile', id: profileId }], ...variables },
        secretKeyCaller(project),
      );
      expect(result.errors).toBeUndefined();
      return result.data!._entities[0]!.events;
    };
    const filters: [string, Record<string, unknown>, number[]][] = [
      ['types: [PAGE, IDENTIFY]', {}, [3, 1]],
      ['since: $since, until: $until', { since: at(1), until: at(3) }, [2, 1]],
      ['name: "Order", propertyEquals: $props', { props: { plan: 'pro' } }, [4, 0]],
      ['types: [TRACK], propertyEquals: $props, since: $since', { props: { plan: 'pro' }, since: at(1) }, [4]],
    ];
    for (const [filter, variables, expected] of filters) {
      expect(await listed(filter, variables)).toEqual(ids(expected));
      expect((await ofProfile(filter, variables)).edges.map((edge) => edge.node.id)).toEqual(ids(expected));
    }
    // Profile.events pages with `after`, keeping its filters.
    const first = await ofProfile('first: 2, types: [TRACK]');
    expect(first.edges.map((edge) => edge.node.id)).toEqual(ids([4, 2]));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await ofProfile('first: 2, types: [TRACK], after: $after', { after: first.pageInfo.endCursor });
    expect(second.edges.map((edge) => edge.node.id)).toEqual(ids([0]));
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it.each([
    ['since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z"', 'until'],
    ['propertyEquals: [1]', 'propertyEquals'],
    ['types: [NOPE]', undefined],
  ])('refuses the filter %s, naming the field', async (filters, field) => {
    const result = await sut.query(`{ events(${filters}) { edges { cursor } } }`, {}, secretKeyCaller(randomUUID()));
    expect(result.errors?.[0]).toBeDefined();
    if (field) expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('pages newest first and filters by name', async () => {
    const project = randomUUID();
    const profileId = await newKnownProfile(sut, project);
    const ids: string[] = [];
    for (const [n, name] of ['a', 'b', 'a', 'a'].entries()) {
      ids.push((await track(project, { profileId, name, timestamp: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString() })).id);
    }
    const page = `query($after: String) { events(first: 2, after: $after, name: "a") { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;
    const first = await sut.query<{ events: Connection }>(page, {}, secretKeyCaller(project));
    expect(first.data!.events.edges.map((edge) => edge.node.id)).toEqual([ids[3], ids[2]]);
    expect(first.data!.events.pageInfo.hasNextPage).toBe(true);
    const second = await sut.query<{ events: Connection }>(page, { after: first.data!.events.pageInfo.endCursor }, secretKeyCaller(project));
    expect(second.data!.events.edges.map((edge) => edge.node.id)).toEqual([ids[0]]);
    expect(second.data!.events.pageInfo.hasNextPage).toBe(false);
  });

  it('isolates projects: by id, in lists and on Profile.events', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const profileId = await newKnownProfile(sut, a);
    const tracked = await track(a, { profileId, name: 'Private' });
    const byId = await sut.query(`query($id: ID!) { event(id: $id) { id } }`, { id: tracked.id }, secretKeyCaller(b));
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await sut.query<{ events: Connection }>(`{ events(first: 100) { edges { node { id } } } }`, {}, secretKeyCaller(b));
    expect(list.data!.events.edges).toHaveLength(0);
    const entities = await sut.query<{ _entities: { events?: Connection; id?: string }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { events { edges { node { id } } } } ... on Event { id } } }`,
      { r: [{ __typename: 'Profile', id: profileId }, { __typename: 'Event', id: tracked.id }] },
      secretKeyCaller(b),
    );
    expect(entities.data!._entities).toEqual([{ events: { edges: [] } }, null]);
  });

  it('resolves Profile.events for N profiles with one SQL query', async () => {
    const project = randomUUID();
    const profiles = await newKnownProfiles(sut, project, 3);
    for (const [i, profileId] of profiles.entries()) {
      for (let n = 0; n <= i; n++) {
        await track(project, { profileId, name: `p${i}-e${n}`, timestamp: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString() });
      }
    }
    await sut.flushOutbox();
    const service = sut.app.get(EventService);
    const dataSource = sut.app.get(DataSource);
    const listForProfiles = service.listForProfiles.bind(service);
    const query = dataSource.query.bind(dataSource);
    const batches: (readonly string[])[] = [];
    const statements: string[] = [];
    service.listForProfiles = (projectId, ids, page) => {
      batches.push(ids);
      return listForProfiles(projectId, ids, page);
    };
    dataSource.query = ((...args: Parameters<typeof dataSource.query>) => {
      if (/\bFROM event\b/.test(args[0])) statements.push(args[0]);
      return query(...args);
    }) as typeof dataSource.query;
    try {
      const result = await sut.query<{ _entities: { events: Connection }[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { events(first: 2) { edges { node { name } } pageInfo { hasNextPage } } } } }`,
        { r: profiles.map((id) => ({ __typename: 'Profile', id })) },
        secretKeyCaller(project),
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities.map(({ events }) => [events.edges.map((edge) => edge.node.name), events.pageInfo.hasNextPage])).toEqual([
        [['p0-e0'], false],
        [['p1-e1', 'p1-e0'], false],
        [['p2-e2', 'p2-e1'], true],
      ]);
      expect(batches).toEqual([profiles]);
      expect(statements).toHaveLength(1);
    } finally {
      service.listForProfiles = listForProfiles;
      dataSource.query = query;
    }
  });
});
