import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { v7 as timeOrderedUuid } from 'uuid';
import {
  BackfillLeafHits,
  decodeProfileIds,
  EventsAttached,
  EventsIngested,
  ListProfileSnapshots,
  ListSegmentMembers,
  ProfileChanged,
  SegmentMembershipChanged,
  type MessageOf,
  type ProfileSnapshot,
  type SegmentMembersPage,
} from '@boomerang/contracts';
import { callRpc, domainStreamConfig, serveRpc } from '@boomerang/platform/messaging';
import { Clock } from '@boomerang/platform/subgraph';
import { consumedUpTo, eventually, secretKeyCaller, seedKnownProfiles, silentLogger, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { LeafCollector } from '../src/audience/leaf-collector.js';
import { LIVE_ATTACHED_DURABLE, LIVE_EVENTS_DURABLE } from '../src/audience/live-events.js';
import { LeafTimers } from '../src/audience/leaf-timers.js';
import { SegmentComputation } from '../src/audience/segment-computation.js';
import { serveEvents } from './events-stand-in.js';

type Change = MessageOf<typeof SegmentMembershipChanged>;

const CREATE = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id status version failure size } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateSegmentInput!) { updateSegment(id: $id, input: $input) { id status version size } }`;
const ESTIMATE = `query($rules: SegmentRuleInput!) { estimateSegment(rules: $rules) { size totalProfiles } }`;
const MEMBERS = `query($id: ID!) { segment(id: $id) { size version status rules members(first: 1000) { id } versions { version } history(days: 2) { size entered exited } } }`;
const PROFILE_SEGMENTS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { id segments { id } } } }`;

const DAY = 86_400_000;

/** The audience engine inside segments: batch, live, timers, edits, estimates, over its contracts with events and profiles. */
describe('segments: the audience engine', () => {
  let segments: TestSubgraph;
  let db: DataSource;
  let changes: Change[] = [];
  let subscription: Subscription;
  let ingest: ReturnType<typeof serveEvents>['ingest'];

  beforeAll(async () => {
    segments = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments' });
    db = segments.app.get(DataSource);
    await segments.messaging.jsm.streams.add(domainStreamConfig(segments.messaging.subjects, 'profiles'));
    await segments.messaging.jsm.streams.add(domainStreamConfig(segments.messaging.subjects, 'events'));
    serveRpc(segments.messaging.nc, segments.messaging.subjects, ListProfileSnapshots, async () => ({ profiles: [], next: null }), silentLogger);
    ({ ingest } = serveEvents(segments));
    subscription = segments.messaging.nc.subscribe(segments.messaging.subjects.filter(SegmentMembershipChanged));
    void (async () => {
      for await (const message of subscription) changes.push(message.json<Change>());
    })();
  }, 120_000);
  afterAll(async () => {
    subscription?.unsubscribe();
    await segments?.close();
  });
  beforeEach(() => {
    changes = [];
  });

  const newProject = async (count: number) => {
    const projectId = randomUUID();
    const profiles = Array.from({ length: count }, () => randomUUID());
    await seedKnownProfiles(segments, projectId, profiles);
    return { projectId, profiles };
  };

  const snapshot = (profileId: string, properties: Record<string, unknown>, updatedAt = new Date()): ProfileSnapshot => ({
    profileId,
    externalId: null,
    properties,
    attributes: {
      email: true,
      phone: null,
      name: null,
      timeZone: 'Europe/Berlin',
      locale: 'de-DE',
      createdAt: new Date(Date.now() - 30 * DAY).toISOString(),
      emailSubscribed: true,
      smsSubscribed: null,
      pushSubscribed: null,
      whatsappSubscribed: null,
      phoneDnd: null,
    },
    contact: { email: 'someone@example.com', phone: null },
    updatedAt: updatedAt.toISOString(),
  });

  const publishFacts = async (projectId: string, facts: ProfileSnapshot[]) => {
    for (const fact of facts)
      await segments.messaging.js.publish(segments.messaging.subjects.subject(ProfileChanged, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...fact }));
    await eventually(async () => {
      const [row] = (await db.query(`SELECT count(*)::int AS n FROM "${segments.schema}".profile_fact WHERE project_id = $1`, [projectId])) as { n: number }[];
      return row!.n >= facts.length || undefined;
    });
  };

  const create = async (projectId: string, rules: unknown) => {
    const result = await segments.query<{ createSegment: { id: string; status: string; version: number; failure: string | null; size: number } }>(
      CREATE,
      { input: { name: 'Audience', kind: 'DYNAMIC', rules } },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.createSegment.failure).toBeNull();
    expect(result.data!.createSegment.status).toBe('READY');
    // Members came from events' scan; live transitions and timers name their cause once the leaf states are filled.
    await segments.app.get(SegmentComputation).settled();
    return result.data!.createSegment;
  };

  const members = async (projectId: string, id: string) => {
    const result = await segments.query<{ segment: { members: { id: string }[]; size: number; version: number } }>(MEMBERS, { id }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.segment.members.map((member) => member.id).sort();
  };

  const eventuallyMembers = (projectId: string, id: string, expected: string[]) =>
    eventually(async () => {
      const now = await members(projectId, id);
      return JSON.stringify(now) === JSON.stringify([...expected].sort()) || undefined;
    });

  it('refuses malformed rule trees with BAD_USER_INPUT naming the path and the rule', async () => {
    const { projectId } = await newProject(0);
    const result = await segments.query(
      CREATE,
      { input: { name: 'Bad', kind: 'DYNAMIC', rules: { and: [{ event: { name: 'Charged' } }, { event: { name: 'Charged', within: { days: 0 } } }] } } },
      secretKeyCaller(projectId),
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rules.and[1].event.within.days' });
    const two = await segments.query(CREATE, { input: { name: 'Bad', kind: 'DYNAMIC', rules: { event: { name: 'A' }, not: { event: { name: 'B' } } } } }, secretKeyCaller(projectId));
    expect(two.errors?.[0]?.message).toMatch(/give exactly one of/);
    const op = await segments.query(
      CREATE,
      { input: { name: 'Bad', kind: 'DYNAMIC', rules: { profile: { property: 'age', op: 'GT', type: 'NUMBER', value: 'old' } } } },
      secretKeyCaller(projectId),
    );
    expect(op.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rules.profile.value' });
    const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM "${segments.schema}".segment WHERE project_id = $1`, [projectId])) as { n: number }[];
    expect(n).toBe(0);
  });

  it('computes members over history (behaviour in a window AND a profile property), then follows new events live', async () => {
    const { projectId, profiles } = await newProject(4);
    const [twice, once, freeTwice, never] = profiles as [string, string, string, string];
    const now = Date.now();
    await publishFacts(projectId, [snapshot(twice, { plan: 'pro' }), snapshot(once, { plan: 'pro' }), snapshot(freeTwice, { plan: 'free' }), snapshot(never, { plan: 'pro' })]);
    await ingest(projectId, [
      { profileId: twice, name: 'Charged', at: now - 3 * DAY, properties: { Amount: 20 } },
      { profileId: twice, name: 'Charged', at: now - 2 * DAY, properties: { Amount: '30.5' } },
      { profileId: once, name: 'Charged', at: now - 1 * DAY, properties: { Amount: 5 } },
      { profileId: once, name: 'Charged', at: now - 40 * DAY, properties: { Amount: 5 } },
      { profileId: freeTwice, name: 'Charged', at: now - 1 * DAY },
      { profileId: freeTwice, name: 'Charged', at: now - 2 * DAY },
    ]);
    const rules = { and: [{ event: { name: 'Charged', within: { days: 30 }, count: { atLeast: 2 } } }, { profile: { property: 'plan', op: 'EQ', value: 'pro' } }] };
    const segment = await create(projectId, rules);
    expect(await members(projectId, segment.id)).toEqual([twice]);
    const initial = await eventually(() => changes.find((c) => c.segmentId === segment.id));
    expect(initial).toMatchObject({ profileId: twice, change: 'entered', cause: 'edit', version: 1, eventId: null });
    // A profile with state in both leaves is one member: one entry, counted once.
    const estimate = await segments.query<{ estimateSegment: { size: number } }>(ESTIMATE, { rules }, secretKeyCaller(projectId));
    expect(estimate.data!.estimateSegment.size).toBe(1);
    await segments.flushOutbox();
    expect(changes.filter((c) => c.segmentId === segment.id)).toHaveLength(1);

    // A second Charged for `once`: it enters live, naming the event.
    await ingest(projectId, [{ profileId: once, name: 'Charged', at: Date.now() }]);
    const entered = await eventually(() => changes.find((c) => c.segmentId === segment.id && c.profileId === once));
    expect(entered).toMatchObject({ change: 'entered', cause: 'event', version: 1 });
    expect(entered!.eventId).toMatch(/^[0-9a-f-]{36}$/);
    // Profile.segments follows.
    const reference = await segments.query<{ _entities: { segments: { id: string }[] }[] }>(
      PROFILE_SEGMENTS,
      { reps: [{ __typename: 'Profile', id: once }] },
      secretKeyCaller(projectId),
    );
    expect(reference.data!._entities[0]!.segments.map((s) => s.id)).toEqual([segment.id]);

    // A profile change: `twice` goes free and exits.
    await publishFacts(projectId, [snapshot(twice, { plan: 'free' }, new Date(Date.now() + 1000))]);
    await eventually(() => changes.find((c) => c.segmentId === segment.id && c.profileId === twice && c.change === 'exited'));
    expect(changes.find((c) => c.profileId === twice && c.change === 'exited')).toMatchObject({ cause: 'profile' });
    await eventuallyMembers(projectId, segment.id, [once]);
  });

  it('lets a profile exit when its qualifying event leaves the window, by a durable timer (injected clock)', async () => {
    const { projectId, profiles } = await newProject(2);
    const [recent, older] = profiles as [string, string];
    const now = Date.now();
    await ingest(projectId, [
      { profileId: recent, name: 'Opened', at: now - 1 * DAY },
      { profileId: older, name: 'Opened', at: now - 6 * DAY },
    ]);
    const segment = await create(projectId, { event: { name: 'Opened', within: { days: 7 } } });
    expect(await members(projectId, segment.id)).toEqual([recent, older].sort());
    const clock = segments.app.get(Clock);
    const realNow = clock.now.bind(clock);
    try {
      // One day and a minute later, `older`'s only Opened is more than 7 days old.
      clock.now = () => new Date(realNow().getTime() + DAY + 60_000);
      await segments.app.get(LeafTimers).runDue();
      await eventuallyMembers(projectId, segment.id, [recent]);
      expect(await eventually(() => changes.find((c) => c.segmentId === segment.id && c.change === 'exited'))).toMatchObject({ profileId: older, cause: 'timer', eventId: null });
    } finally {
      clock.now = realNow;
    }
  });

  it('evaluates OR / NOT, aggregates, sequences and membership leaves, refuses cycles, and estimates', async () => {
    const { projectId, profiles } = await newProject(4);
    const [spender, browser, sequencer, idle] = profiles as [string, string, string, string];
    const now = Date.now();
    await ingest(projectId, [
      { profileId: spender, name: 'Charged', at: now - 5 * DAY, properties: { Amount: 400 } },
      { profileId: spender, name: 'Charged', at: now - 4 * DAY, properties: { Amount: '150' } },
      { profileId: browser, name: 'Viewed', at: now - 2 * DAY, properties: { category: 'shoes' } },
      { profileId: sequencer, name: 'Added To Cart', at: now - 3 * DAY },
      { profileId: sequencer, name: 'Charged', at: now - 3 * DAY + 3600_000, properties: { Amount: 10 } },
    ]);
    const big = await create(projectId, { event: { name: 'Charged', aggregate: { fn: 'SUM', property: 'Amount', op: 'GT', value: 500 } } });
    expect(await members(projectId, big.id)).toEqual([spender]);
    const funnel = await create(projectId, { sequence: { steps: [{ name: 'Added To Cart' }, { name: 'Charged' }], within: { hours: 2 } } });
    expect(await members(projectId, funnel.id)).toEqual([sequencer]);
    const eitherNotShoes = await create(projectId, {
      or: [{ segment: { segmentId: big.id } }, { not: { event: { name: 'Viewed', where: [{ property: 'category', op: 'EQ', value: 'shoes' }] } } }],
    });
    expect(await members(projectId, eitherNotShoes.id)).toEqual([spender, sequencer, idle].sort());
    // A segment naming `eitherNotShoes` cannot be named by it in turn.
    const cycle = await segments.query(
      UPDATE,
      { id: big.id, input: { rules: { segment: { segmentId: eitherNotShoes.id } } } },
      secretKeyCaller(projectId),
    );
    expect(cycle.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(cycle.errors?.[0]?.message).toMatch(/cycle/);
    const estimate = await segments.query<{ estimateSegment: { size: number; totalProfiles: number } }>(
      ESTIMATE,
      { rules: { event: { name: 'Charged', count: { atMost: 1 } } } },
      secretKeyCaller(projectId),
    );
    expect(estimate.errors).toBeUndefined();
    expect(estimate.data!.estimateSegment).toEqual({ size: 3, totalProfiles: 4 });
  });

  it('counts an event tracked before its identify once: skipped unlinked at ingest, folded when events attaches it (EventsAttached)', async () => {
    const { projectId } = await newProject(0);
    const [early, late] = [randomUUID(), randomUUID()];
    const segment = await create(projectId, { event: { name: 'Level Up', count: { exactly: 2 } } });
    const levelUp = (userId: string, at: number) => ({ eventId: timeOrderedUuid(), messageId: randomUUID(), userId, name: 'Level Up', timestamp: new Date(at).toISOString(), properties: {}, type: 'track' as const });
    const publish = (contract: typeof EventsIngested | typeof EventsAttached, events: Record<string, unknown>[]) =>
      segments.messaging.js.publish(segments.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), events }));
    // `early`: an unlinked event, then a linked one, then the first attached to it. `late`: both attached before their unlinked copies arrive.
    const first = levelUp('user-early', Date.now() - 1000);
    await publish(EventsIngested, [{ ...first, profileId: null }]);
    await publish(EventsIngested, [{ ...levelUp('user-early', Date.now()), profileId: early }]);
    const [one, two] = [levelUp('user-late', Date.now() - 2000), levelUp('user-late', Date.now() - 1000)];
    await publish(EventsAttached, [
      { ...one, profileId: late },
      { ...two, profileId: late },
    ]);
    const attachedAck = await publish(EventsAttached, [{ ...first, profileId: early }]);
    const ingestedAck = await publish(EventsIngested, [
      { ...one, profileId: null },
      { ...two, profileId: null },
    ]);
    // Exactly 2: an event counted both unlinked and attached would make 3.
    await eventuallyMembers(projectId, segment.id, [early, late].sort());
    await consumedUpTo(segments.messaging, 'events', LIVE_ATTACHED_DURABLE, attachedAck);
    await consumedUpTo(segments.messaging, 'events', LIVE_EVENTS_DURABLE, ingestedAck);
    const states = (await db.query(`SELECT profile_id, matched FROM "${segments.schema}".leaf_state WHERE project_id = $1 ORDER BY profile_id`, [projectId])) as { matched: boolean }[];
    expect(states.map((state) => state.matched)).toEqual([true, true]);
    expect(await members(projectId, segment.id)).toEqual([early, late].sort());
  });

  it('drops leaves no live segment holds once unused for a week (old versions, unsaved estimates), with their states', async () => {
    const { projectId, profiles } = await newProject(1);
    await ingest(projectId, [{ profileId: profiles[0]!, name: 'Opened', at: Date.now() - DAY }]);
    const segment = await create(projectId, { event: { name: 'Opened' } });
    await segments.query(UPDATE, { id: segment.id, input: { rules: { event: { name: 'Opened', count: { atLeast: 1 }, within: { days: 30 } } } } }, secretKeyCaller(projectId));
    await segments.query(ESTIMATE, { rules: { event: { name: 'Closed' } } }, secretKeyCaller(projectId));
    const leaves = async () =>
      ((await db.query(`SELECT definition FROM "${segments.schema}".audience_leaf WHERE project_id = $1 ORDER BY created_at`, [projectId])) as { definition: unknown }[]).map((row) => row.definition);
    expect(await leaves()).toHaveLength(3);
    const clock = segments.app.get(Clock);
    const realNow = clock.now.bind(clock);
    try {
      clock.now = () => new Date(realNow().getTime() + 8 * DAY);
      await segments.app.get(LeafCollector).collect();
    } finally {
      clock.now = realNow;
    }
    expect(await leaves()).toEqual([{ name: 'Opened', count: { atLeast: 1 }, within: { days: 30 } }]);
    expect(await members(projectId, segment.id)).toEqual([profiles[0]]);
    // The dropped leaves' states went with them; the kept leaf's stayed.
    const states = (await db.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "${segments.schema}".audience_leaf l WHERE l.id = s.leaf_id))::int AS orphans
       FROM "${segments.schema}".leaf_state s WHERE s.project_id = $1`,
      [projectId],
    )) as { n: number; orphans: number }[];
    expect(states).toEqual([{ n: 1, orphans: 0 }]);
  });

  it('fills leaves that read the same events with one backfill spec ("≥ 3 Charged in 90 days OR their Amount sums past 500")', async () => {
    const { projectId, profiles } = await newProject(3);
    const [frequent, big, small] = profiles as [string, string, string];
    const now = Date.now();
    await ingest(projectId, [
      ...[1, 2, 3].map((days) => ({ profileId: frequent, name: 'Charged', at: now - days * DAY, properties: { Amount: 1 } })),
      { profileId: big, name: 'Charged', at: now - 10 * DAY, properties: { Amount: '600' } },
      { profileId: small, name: 'Charged', at: now - 10 * DAY, properties: { Amount: 100 } },
      { profileId: small, name: 'Charged', at: now - 200 * DAY, properties: { Amount: 900 } },
    ]);
    const between = { from: new Date(now - 90 * DAY).toISOString(), to: new Date(now + DAY).toISOString() };
    const requests: number[] = [];
    const counting = segments.messaging.nc.subscribe(segments.messaging.subjects.request(BackfillLeafHits.name), {
      callback: (_error, message) => {
        requests.push(BackfillLeafHits.request.parse(message.json()).leaves.length);
      },
    });
    try {
      const segment = await create(projectId, {
        or: [
          { event: { name: 'Charged', between, count: { atLeast: 3 } } },
          { event: { name: 'Charged', between, aggregate: { fn: 'SUM', property: 'Amount', op: 'GT', value: 500 } } },
        ],
      });
      expect(await members(projectId, segment.id)).toEqual([frequent, big].sort());
      expect(requests).toEqual([1]);
    } finally {
      counting.unsubscribe();
    }
  });

  it('answers ListSegmentMembers with the members in id order, as compact ids, page by page', async () => {
    const { projectId, profiles } = await newProject(5);
    await ingest(projectId, profiles.map((profileId) => ({ profileId, name: 'Paged', at: Date.now() - DAY })));
    const segment = await create(projectId, { event: { name: 'Paged' } });
    const read: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const reply: SegmentMembersPage = await callRpc(segments.messaging.nc, segments.messaging.subjects, ListSegmentMembers, { projectId, segmentId: segment.id, after, limit: 2 });
      if (!reply.ok) throw new Error(reply.reason);
      const ids = decodeProfileIds(reply.profileIds);
      expect(ids).toHaveLength(reply.count);
      read.push(...ids);
      if (!reply.next) break;
      after = reply.next;
    }
    expect(read).toEqual([...profiles].sort());
    const elsewhere = await callRpc(segments.messaging.nc, segments.messaging.subjects, ListSegmentMembers, { projectId: randomUUID(), segmentId: segment.id, after: null, limit: 2 });
    expect(elsewhere).toEqual({ ok: false, reason: 'unknown-segment' });
  });

  it('makes each edit a new version: members that no longer qualify exit, and another project sees nothing', async () => {
    const { projectId, profiles } = await newProject(3);
    const other = await newProject(1);
    const now = Date.now();
    await ingest(projectId, profiles.map((profileId, index) => ({ profileId, name: 'Played', at: now - DAY, properties: { level: index + 1 } })));
    await ingest(other.projectId, [{ profileId: other.profiles[0]!, name: 'Played', at: now - DAY, properties: { level: 3 } }]);
    const segment = await create(projectId, { event: { name: 'Played', where: [{ property: 'level', op: 'GTE', value: 2 }] } });
    expect(await members(projectId, segment.id)).toEqual([profiles[1]!, profiles[2]!].sort());
    const edited = await segments.query<{ updateSegment: { version: number; status: string; size: number } }>(
      UPDATE,
      { id: segment.id, input: { rules: { event: { name: 'Played', where: [{ property: 'level', op: 'GTE', value: 3 }] } } } },
      secretKeyCaller(projectId),
    );
    expect(edited.errors).toBeUndefined();
    expect(edited.data!.updateSegment).toMatchObject({ version: 2, status: 'READY', size: 1 });
    await eventually(() => changes.find((c) => c.segmentId === segment.id && c.change === 'exited' && c.version === 2));
    expect(changes.find((c) => c.segmentId === segment.id && c.change === 'exited')).toMatchObject({ profileId: profiles[1], cause: 'edit' });
    const seen = await segments.query(MEMBERS, { id: segment.id }, secretKeyCaller(other.projectId));
    expect(seen.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
  });
});
