import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { SegmentMembershipChanged, MessageOf } from '@boomerang/contracts';
import { eventually, newKnownProfiles, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { SegmentService } from '../src/segments/segment.service.js';

const secret = (projectId: string) => ({ projectId, keyId: null, scope: 'secret' as const });
const publishable = (projectId: string) => ({ projectId, keyId: null, scope: 'publishable' as const });

const CREATE = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id name description kind rules size createdAt } }`;
const ADD = `mutation($s: ID!, $p: [ID!]!) { addSegmentMembers(segmentId: $s, profileIds: $p) { id size } }`;
const REMOVE = `mutation($s: ID!, $p: [ID!]!) { removeSegmentMembers(segmentId: $s, profileIds: $p) { id size } }`;
const PROFILE_SEGMENTS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { segments { id name size } } } }`;

interface SegmentView {
  id: string;
  name: string;
  kind: string;
  rules: Record<string, unknown> | null;
  size: number;
}

describe('segments subgraph', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments' });
  });
  afterAll(() => sut?.close());

  const createSegment = async (projectId: string, input: Record<string, unknown>) => {
    const result = await sut.query<{ createSegment: SegmentView }>(CREATE, { input }, secret(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.createSegment;
  };

  it('creates a static segment and adds and removes members idempotently', async () => {
    const project = randomUUID();
    const segment = await createSegment(project, { name: 'VIPs', description: 'Imported', kind: 'STATIC' });
    expect(segment).toMatchObject({ name: 'VIPs', kind: 'STATIC', rules: null, size: 0 });
    const [p1, p2] = await newKnownProfiles(sut, project, 2);

    const added = await sut.query<{ addSegmentMembers: SegmentView }>(ADD, { s: segment.id, p: [p1, p2, p1] }, secret(project));
    expect(added.errors).toBeUndefined();
    expect(added.data!.addSegmentMembers.size).toBe(2);
    const again = await sut.query<{ addSegmentMembers: SegmentView }>(ADD, { s: segment.id, p: [p2] }, secret(project));
    expect(again.data!.addSegmentMembers.size).toBe(2);
    const removed = await sut.query<{ removeSegmentMembers: SegmentView }>(REMOVE, { s: segment.id, p: [p1] }, secret(project));
    expect(removed.data!.removeSegmentMembers.size).toBe(1);

    const read = await sut.query<{ segment: SegmentView & { description: string } }>(
      `query($id: ID!) { segment(id: $id) { id name description kind size } }`,
      { id: segment.id },
      secret(project),
    );
    expect(read.data!.segment).toEqual({ id: segment.id, name: 'VIPs', description: 'Imported', kind: 'STATIC', size: 1 });

    await sut.query(ADD, { s: segment.id, p: [p1] }, secret(project));
    const sorted = [p1, p2].sort();
    const members = `query($id: ID!, $after: ID) { segment(id: $id) { members(first: 1, after: $after) { id } } }`;
    const page1 = await sut.query<{ segment: { members: { id: string }[] } }>(members, { id: segment.id }, secret(project));
    expect(page1.data!.segment.members).toEqual([{ id: sorted[0] }]);
    const page2 = await sut.query<{ segment: { members: { id: string }[] } }>(members, { id: segment.id, after: sorted[0] }, secret(project));
    expect(page2.data!.segment.members).toEqual([{ id: sorted[1] }]);
  });

  it('publishes the entries and exits of hand-written members (cause import), only for rows that changed', async () => {
    const project = randomUUID();
    const segment = await createSegment(project, { name: 'Hand-picked', kind: 'STATIC' });
    const [p1, p2, p3] = await newKnownProfiles(sut, project, 3);
    const seen: MessageOf<typeof SegmentMembershipChanged>[] = [];
    const subscription = sut.messaging.nc.subscribe(`${sut.prefix}segments.${project}.membership-changed`);
    void (async () => {
      for await (const message of subscription) seen.push(message.json());
    })();
    const published = async (count: number) => {
      await sut.flushOutbox();
      await eventually(() => seen.length >= count || undefined);
      await sut.messaging.nc.flush();
      const all = seen.splice(0).map(({ segmentId, profileId, change, cause, version, eventId }) => ({ segmentId, profileId, change, cause, version, eventId }));
      return all.sort((a, b) => `${a.change}${a.profileId}`.localeCompare(`${b.change}${b.profileId}`));
    };
    const entry = (profileId: string, change: 'entered' | 'exited') => ({ segmentId: segment.id, profileId, change, cause: 'import', version: 1, eventId: null });
    try {
      await sut.query(ADD, { s: segment.id, p: [p1, p2, p1] }, secret(project));
      expect(await published(2)).toEqual([entry(p1!, 'entered'), entry(p2!, 'entered')].sort((a, b) => a.profileId.localeCompare(b.profileId)));
      // p1 and p2 are members already, p3 is new; removing p3 and a non-member id leaves only p3's exit.
      await sut.query(ADD, { s: segment.id, p: [p1, p2, p3] }, secret(project));
      expect(await published(1)).toEqual([entry(p3!, 'entered')]);
      await sut.query(REMOVE, { s: segment.id, p: [p3, randomUUID(), p3] }, secret(project));
      expect(await published(1)).toEqual([entry(p3!, 'exited')]);
      // Nothing changes, nothing is published; the day's history counts each transition once.
      await sut.query(REMOVE, { s: segment.id, p: [p3] }, secret(project));
      await sut.query(ADD, { s: segment.id, p: [p1] }, secret(project));
      await sut.flushOutbox();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual([]);
      const history = await sut.query<{ segment: { history: { entered: number; exited: number; size: number }[] } }>(
        `query($id: ID!) { segment(id: $id) { history(days: 1) { entered exited size } } }`,
        { id: segment.id },
        secret(project),
      );
      expect(history.data!.segment.history).toEqual([{ entered: 3, exited: 1, size: 2 }]);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('stores the rules of a dynamic segment and refuses members for it', async () => {
    const project = randomUUID();
    const rules = { and: [{ profile: { property: 'plan', op: 'EQ', value: 'pro' } }, { event: { name: 'Order Completed', count: { atLeast: 2 } } }] };
    const segment = await createSegment(project, { name: 'Pro buyers', kind: 'DYNAMIC', rules });
    // No events service answers here: the segment waits, computing, and says why.
    expect(segment).toMatchObject({ kind: 'DYNAMIC', rules, size: 0 });
    const members = await sut.query(ADD, { s: segment.id, p: [randomUUID()] }, secret(project));
    expect(members.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'segmentId' });
  });

  it.each([
    [{ name: '', kind: 'STATIC' }, 'input.name'],
    [{ name: 'No rules', kind: 'DYNAMIC' }, 'input.rules'],
    [{ name: 'Empty AND', kind: 'DYNAMIC', rules: { and: [] } }, 'input.rules.and'],
    [{ name: 'Static rules', kind: 'STATIC', rules: { event: { name: 'Opened' } } }, 'input.rules'],
    [{ name: 'NUL', kind: 'DYNAMIC', rules: { event: { name: 'Opened\u0000' } } }, 'input.rules.event.name'],
    [{ name: 'Surrogate', kind: 'DYNAMIC', rules: { profile: { property: 'plan', op: 'EQ', value: 'pro\uD800' } } }, 'input.rules.profile.value'],
    [{ name: 'No such day', kind: 'DYNAMIC', rules: { profile: { attribute: 'CREATED_AT', op: 'GT', value: '2026-02-30' } } }, 'input.rules.profile.value'],
  ])('names the invalid field for %j', async (input, field) => {
    const project = randomUUID();
    const result = await sut.query(CREATE, { input }, secret(project));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    const list = await sut.query<{ segments: unknown[] }>(`{ segments { id } }`, {}, secret(project));
    expect(list.data!.segments).toHaveLength(0);
  });

  it('names profileIds when one is not an id', async () => {
    const project = randomUUID();
    const segment = await createSegment(project, { name: 'S', kind: 'STATIC' });
    const result = await sut.query(ADD, { s: segment.id, p: [randomUUID(), 'nope'] }, secret(project));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'profileIds' });
  });

  it('refuses publishable keys on segment mutations', async () => {
    const project = randomUUID();
    const created = await sut.query(CREATE, { input: { name: 'pk', kind: 'STATIC' } }, publishable(project));
    expect(created.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const segment = await createSegment(project, { name: 'S', kind: 'STATIC' });
    const added = await sut.query(ADD, { s: segment.id, p: [randomUUID()] }, publishable(project));
    expect(added.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const removed = await sut.query(REMOVE, { s: segment.id, p: [randomUUID()] }, publishable(project));
    expect(removed.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('isolates projects: by id, in lists, on writes and through entity references', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const [profileId] = await newKnownProfiles(sut, a, 1);
    const segment = await createSegment(a, { name: 'A only', kind: 'STATIC' });
    await sut.query(ADD, { s: segment.id, p: [profileId] }, secret(a));

    const byId = await sut.query(`query($id: ID!) { segment(id: $id) { id } }`, { id: segment.id }, secret(b));
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await sut.query<{ segments: unknown[] }>(`{ segments { id } }`, {}, secret(b));
    expect(list.data!.segments).toHaveLength(0);
    const write = await sut.query(ADD, { s: segment.id, p: [randomUUID()] }, secret(b));
    expect(write.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'segmentId' });
    const entities = await sut.query<{ _entities: unknown[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Segment { id } ... on Profile { segments { id } } } }`,
      { r: [{ __typename: 'Segment', id: segment.id }, { __typename: 'Profile', id: profileId }] },
      secret(b),
    );
    expect(entities.data!._entities).toEqual([null, { segments: [] }]);
  });

  it('resolves Profile.segments and Segment.size in one query each per request', async () => {
    const project = randomUUID();
    const profiles = await newKnownProfiles(sut, project, 3);
    const s1 = await createSegment(project, { name: 'S1', kind: 'STATIC' });
    const s2 = await createSegment(project, { name: 'S2', kind: 'STATIC' });
    await sut.query(ADD, { s: s1.id, p: profiles }, secret(project));
    await sut.query(ADD, { s: s2.id, p: [profiles[1]] }, secret(project));
    await sut.flushOutbox();

    const service = sut.app.get(SegmentService);
    const dataSource = sut.app.get(DataSource);
    const query = dataSource.query.bind(dataSource);
    const statements: string[] = [];
    dataSource.query = ((...args: Parameters<typeof dataSource.query>) => {
      if (/\bsegment_membership\b/.test(args[0])) statements.push(args[0]);
      return query(...args);
    }) as typeof dataSource.query;
    const sizes = jestSpy(service, 'sizes');
    const memberships = jestSpy(service, 'segmentsOfProfiles');
    try {
      const result = await sut.query<{ _entities: { segments: { name: string; size: number }[] }[] }>(
        PROFILE_SEGMENTS,
        { r: profiles.map((id) => ({ __typename: 'Profile', id })) },
        secret(project),
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities.map(({ segments }) => segments.map((s) => `${s.name}:${s.size}`))).toEqual([
        ['S1:3'],
        ['S1:3', 'S2:1'],
        ['S1:3'],
      ]);
      expect(memberships.calls).toEqual([[project, profiles]]);
      expect(sizes.calls).toHaveLength(1);
      expect(statements).toHaveLength(2);
    } finally {
      dataSource.query = query;
      sizes.restore();
      memberships.restore();
    }
  });

  it('resolves segment references in one batch', async () => {
    const project = randomUUID();
    const segments = [await createSegment(project, { name: 'R1', kind: 'STATIC' }), await createSegment(project, { name: 'R2', kind: 'STATIC' })];
    const findMany = jestSpy(sut.app.get(SegmentService), 'findMany');
    try {
      const result = await sut.query<{ _entities: { name: string }[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Segment { name size } } }`,
        { r: segments.map(({ id }) => ({ __typename: 'Segment', id })) },
        secret(project),
      );
      expect(result.data!._entities).toEqual([{ name: 'R1', size: 0 }, { name: 'R2', size: 0 }]);
      expect(findMany.calls).toHaveLength(1);
    } finally {
      findMany.restore();
    }
  });

  it('announces created segments through the outbox', async () => {
    const project = randomUUID();
    const segment = await createSegment(project, { name: 'Announced', kind: 'STATIC' });
    await sut.flushOutbox();
    const stored = await sut.messaging.jsm.streams.getMessage(sut.messaging.subjects.streamName('segments'), {
      last_by_subj: `${sut.prefix}segments.${project}.created`,
    });
    expect(stored!.json()).toMatchObject({ projectId: project, segmentId: segment.id, name: 'Announced' });
  });
});

/** Records a method's calls while still running it. */
function jestSpy<T extends object, K extends keyof T & string>(target: T, method: K) {
  const original = target[method] as (...args: unknown[]) => unknown;
  const calls: unknown[][] = [];
  target[method] = ((...args: unknown[]) => {
    calls.push(args);
    return original.apply(target, args);
  }) as T[K];
  return { calls, restore: () => void (target[method] = original as T[K]) };
}
