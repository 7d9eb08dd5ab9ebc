import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { addHit, emptyLeafState, evaluateLeaf, evaluateRule, hitSpecOf, hitOf, type Leaf, type Rule } from '@boomerang/audience';
import { ListProfileSnapshots, SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { domainStreamConfig, serveRpc } from '@boomerang/platform/messaging';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import { eventually, secretKeyCaller, seedKnownProfiles, silentLogger, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { SegmentComputation } from '../src/audience/segment-computation.js';
import { serveEvents, type StoredEvent } from './events-stand-in.js';

type Change = MessageOf<typeof SegmentMembershipChanged>;

const CREATE = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id status failure size } }`;
const MEMBERS = `query($id: ID!) { segment(id: $id) { size members(first: 1000) { id } } }`;
const ESTIMATE = `query($rules: SegmentRuleInput!) { estimateSegment(rules: $rules) { size } }`;
const DAY = 86_400_000;

/** A small deterministic generator (the same events every run). */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A new segment's members come from events' one-pass scan (ScanEventLeaves) at once; its leaf
 * states are filled afterwards (BackfillLeafHits) while live events keep arriving; then the members
 * are recomputed from the states. Nothing is lost or counted twice on the way, and the members end
 * where the states (and the audience language over every event) put them.
 */
describe('segments: members from a scan, then from the states', () => {
  let segments: TestSubgraph;
  let db: DataSource;
  let ingest: ReturnType<typeof serveEvents>['ingest'];
  let stored: StoredEvent[];
  let release: () => void = () => undefined;
  let gate: Promise<void> = Promise.resolve();
  const changes: Change[] = [];
  let subscription: Subscription;

  beforeAll(async () => {
    segments = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments' });
    db = segments.app.get(DataSource);
    await segments.messaging.jsm.streams.add(domainStreamConfig(segments.messaging.subjects, 'profiles'));
    await segments.messaging.jsm.streams.add(domainStreamConfig(segments.messaging.subjects, 'events'));
    serveRpc(segments.messaging.nc, segments.messaging.subjects, ListProfileSnapshots, async () => ({ profiles: [], next: null }), silentLogger);
    ({ ingest, stored } = serveEvents(segments, { beforeBackfill: () => gate }));
    subscription = segments.messaging.nc.subscribe(segments.messaging.subjects.filter(SegmentMembershipChanged));
    void (async () => {
      for await (const message of subscription) changes.push(message.json<Change>());
    })();
  }, 120_000);
  afterAll(async () => {
    release();
    subscription?.unsubscribe();
    await segments?.close();
  });

  /** Every event published so far handled by the live path. */
  const liveSettled = async () => {
    await segments.flushOutbox();
    const stream = segments.messaging.subjects.streamName('events');
    const durables = segments.app
      .get(MessagingLifecycle)
      .subscriptions()
      .filter((s) => s.domain === 'events')
      .map((s) => s.durable);
    await eventually(
      async () => {
        const attached = new Set<string>();
        for await (const info of segments.messaging.jsm.consumers.list(stream)) {
          if (info.num_pending > 0 || info.num_ack_pending > 0) return undefined;
          attached.add(info.name);
        }
        return durables.every((durable) => attached.has(durable)) || undefined;
      },
      { timeoutMs: 20_000 },
    );
  };

  const members = async (projectId: string, id: string) => {
    const result = await segments.query<{ segment: { size: number; members: { id: string }[] } }>(MEMBERS, { id }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    expect(result.data!.segment.size).toBe(result.data!.segment.members.length);
    return result.data!.segment.members.map((member) => member.id).sort();
  };

  const fromScan = async (id: string) => {
    const [row] = (await db.query(`SELECT members_from_scan FROM "${segments.schema}".segment WHERE id = $1`, [id])) as { members_from_scan: boolean }[];
    return row!.members_from_scan;
  };

  // "Bought at least twice in 30 days and never refunded, OR spent over 450 ever, OR bought 4 times and viewed at most twice".
  const input = {
    or: [
      { and: [{ event: { name: 'Bought', within: { days: 30 }, count: { atLeast: 2 } } }, { not: { event: { name: 'Refunded' } } }] },
      { event: { name: 'Bought', aggregate: { fn: 'SUM', property: 'amount', op: 'GT', value: 450 } } },
      { and: [{ event: { name: 'Bought', count: { atLeast: 4 } } }, { event: { name: 'Viewed', count: { atMost: 2 } } }] },
    ],
  };
  const rule: Rule = {
    or: [
      { and: [{ event: { name: 'Bought', within: { days: 30 }, count: { atLeast: 2 } } }, { not: { event: { name: 'Refunded' } } }] },
      { event: { name: 'Bought', aggregate: { fn: 'sum', property: 'amount', op: 'gt', value: 450 } } },
      { and: [{ event: { name: 'Bought', count: { atLeast: 4 } } }, { event: { name: 'Viewed', count: { atMost: 2 } } }] },
    ],
  };

  /** The members the audience language gives over every event stored so far, at `nowMs`. */
  const truth = (projectId: string, profiles: readonly string[], nowMs: number) =>
    profiles
      .filter((profileId) => {
        const mine = stored.filter((event) => event.projectId === projectId && event.profileId === profileId).sort((a, b) => a.at - b.at);
        return evaluateRule(rule, (leaf: Leaf) => {
          if (leaf.kind !== 'event') throw new Error('event leaves only');
          const spec = hitSpecOf(leaf);
          const state = emptyLeafState();
          for (const event of mine) {
            const value = hitOf(spec, { name: event.name, timestampMs: event.at, properties: event.properties });
            if (value !== undefined) addHit(state, spec, event.at, value);
          }
          return evaluateLeaf(leaf, state, nowMs).matched;
        });
      })
      .sort();

  const randomEvents = (next: () => number, profiles: readonly string[], count: number, maxAgeMs: number) =>
    Array.from({ length: count }, () => {
      const roll = next();
      return {
        profileId: profiles[Math.floor(next() * profiles.length)]!,
        name: roll < 0.55 ? 'Bought' : roll < 0.95 ? 'Viewed' : 'Refunded',
        // An hour or more away from every window's edge.
        at: Date.now() - 3_600_000 - Math.floor(next() * maxAgeMs),
        properties: { amount: 20 + Math.floor(next() * 180) },
      };
    });

  it('writes the scan’s members at once, leaves them while the states fill under live events, then converges on the states, each event counted once', async () => {
    const projectId = randomUUID();
    const profiles = Array.from({ length: 40 }, () => randomUUID());
    await seedKnownProfiles(segments, projectId, profiles);
    const next = random(7);
    await ingest(projectId, randomEvents(next, profiles, 160, 60 * DAY));
    await liveSettled();

    // The states' backfill is held: the members come from the scan alone.
    gate = new Promise((resolve) => (release = resolve));
    const created = await segments.query<{ createSegment: { id: string; status: string; failure: string | null; size: number } }>(
      CREATE,
      { input: { name: 'Scanned', kind: 'DYNAMIC', rules: input } },
      secretKeyCaller(projectId),
    );
    expect(created.errors).toBeUndefined();
    const segment = created.data!.createSegment;
    expect(segment).toMatchObject({ status: 'READY', failure: null });
    const atCreation = truth(projectId, profiles, Date.now());
    expect(atCreation.length).toBeGreaterThan(5);
    expect(atCreation.length).toBeLessThan(profiles.length - 5);
    expect(await members(projectId, segment.id)).toEqual(atCreation);
    // The answer's size is the members the computation wrote (not counted again).
    expect(segment.size).toBe(atCreation.length);
    expect(await fromScan(segment.id)).toBe(true);
    await eventually(() => changes.filter((change) => change.segmentId === segment.id).length === atCreation.length || undefined);
    expect(changes.filter((change) => change.segmentId === segment.id).every((change) => change.change === 'entered' && change.cause === 'edit')).toBe(true);

    // Live events while the states are being filled: counted into the states, the members left alone.
    const storedBefore = stored.length;
    await ingest(projectId, randomEvents(next, profiles, 80, 40 * DAY));
    const duringFill = stored.slice(storedBefore);
    await liveSettled();
    expect(await members(projectId, segment.id)).toEqual(atCreation);
    expect(changes.filter((change) => change.segmentId === segment.id)).toHaveLength(atCreation.length);

    // The states are filled (every event, those the live path counted claimed once), the members recomputed from them.
    release();
    await segments.app.get(SegmentComputation).settled();
    expect(await fromScan(segment.id)).toBe(false);
    const settled = truth(projectId, profiles, Date.now());
    // The live events moved some profiles: the recompute wrote those transitions.
    expect(settled).not.toEqual(atCreation);
    expect(await members(projectId, segment.id)).toEqual(settled);
    // Those transitions name the live event behind them: the profile's last event during the fill.
    const moved = [...settled.filter((id) => !atCreation.includes(id)), ...atCreation.filter((id) => !settled.includes(id))];
    await eventually(() => changes.filter((change) => change.segmentId === segment.id).length === atCreation.length + moved.length || undefined);
    const recomputed = changes.filter((change) => change.segmentId === segment.id).slice(atCreation.length);
    expect(recomputed.map((change) => change.profileId).sort()).toEqual(moved.sort());
    for (const change of recomputed) {
      const lastDuringFill = duringFill.filter((event) => event.profileId === change.profileId).at(-1);
      expect({ profileId: change.profileId, cause: change.cause, eventId: change.eventId }).toEqual({
        profileId: change.profileId,
        cause: lastDuringFill ? 'event' : 'edit',
        eventId: lastDuringFill?.eventId ?? null,
      });
    }
    expect(recomputed.some((change) => change.cause === 'event')).toBe(true);
    expect(await db.query(`SELECT 1 FROM "${segments.schema}".segment_fill_event WHERE segment_id = $1`, [segment.id])).toHaveLength(0);

    // From here the live path keeps it.
    await ingest(projectId, randomEvents(next, profiles, 60, 10 * DAY));
    await liveSettled();
    const final = truth(projectId, profiles, Date.now());
    expect(await members(projectId, segment.id)).toEqual(final);
    const estimate = await segments.query<{ estimateSegment: { size: number } }>(ESTIMATE, { rules: input }, secretKeyCaller(projectId));
    expect(estimate.data!.estimateSegment.size).toBe(final.length);

    // Each Bought counted once in the "spent over 300 ever" leaf's states.
    const rows = (await db.query(
      `SELECT s.profile_id, s.n FROM "${segments.schema}".leaf_state s JOIN "${segments.schema}".audience_leaf l ON l.id = s.leaf_id
       WHERE l.project_id = $1 AND l.definition ->> 'name' = 'Bought' AND l.definition ? 'aggregate'`,
      [projectId],
    )) as { profile_id: string; n: number }[];
    const bought = new Map<string, number>();
    for (const event of stored.filter((e) => e.projectId === projectId && e.name === 'Bought')) bought.set(event.profileId, (bought.get(event.profileId) ?? 0) + 1);
    expect(new Map(rows.map((row) => [row.profile_id, row.n]))).toEqual(bought);

    // Every profile's transitions alternate, entered first, and end where its membership is.
    const mine = changes.filter((change) => change.segmentId === segment.id);
    for (const profileId of profiles) {
      const sequence = mine.filter((change) => change.profileId === profileId).map((change) => change.change);
      expect({ profileId, sequence }).toEqual({ profileId, sequence: sequence.map((_, index) => (index % 2 === 0 ? 'entered' : 'exited')) });
      expect({ profileId, member: sequence.length % 2 === 1 }).toEqual({ profileId, member: final.includes(profileId) });
    }
  });

  it('writes no forgotten profile from a scan, and remembers a member segments had not heard of yet', async () => {
    release();
    gate = Promise.resolve();
    const projectId = randomUUID();
    const [known, erased, unheard] = [randomUUID(), randomUUID(), randomUUID()];
    await seedKnownProfiles(segments, projectId, [known, erased]);
    await ingest(
      projectId,
      [known, erased].map((profileId) => ({ profileId, name: 'Paid', at: Date.now() - DAY })),
    );
    await liveSettled();
    // Erased in segments (ProfileDeleted) while events still holds its events; events holds one of a profile segments has not heard of.
    await db.query(`UPDATE "${segments.schema}".known_profile SET forgotten_at = now() WHERE project_id = $1 AND profile_id = $2`, [projectId, erased]);
    stored.push({ projectId, eventId: randomUUID(), profileId: unheard, name: 'Paid', at: Date.now() - DAY, properties: {} });

    const created = await segments.query<{ createSegment: { id: string; status: string; size: number } }>(
      CREATE,
      { input: { name: 'Paid', kind: 'DYNAMIC', rules: { event: { name: 'Paid' } } } },
      secretKeyCaller(projectId),
    );
    expect(created.data!.createSegment).toMatchObject({ status: 'READY', size: 2 });
    expect(await members(projectId, created.data!.createSegment.id)).toEqual([known, unheard].sort());
    await segments.app.get(SegmentComputation).settled();
    const knownRows = (await db.query(`SELECT profile_id, forgotten_at IS NOT NULL AS forgotten FROM "${segments.schema}".known_profile WHERE project_id = $1 ORDER BY profile_id`, [
      projectId,
    ])) as { profile_id: string; forgotten: boolean }[];
    expect(knownRows).toEqual(
      [
        { profile_id: known, forgotten: false },
        { profile_id: erased, forgotten: true },
        { profile_id: unheard, forgotten: false },
      ].sort((a, b) => a.profile_id.localeCompare(b.profile_id)),
    );
    // The states (the stand-in's backfill serves every stored event) keep the same members.
    expect(await fromScan(created.data!.createSegment.id)).toBe(false);
    expect(await members(projectId, created.data!.createSegment.id)).toEqual([known, unheard].sort());
    // An estimate over the same states leaves the forgotten profile out too.
    const estimate = await segments.query<{ estimateSegment: { size: number } }>(ESTIMATE, { rules: { event: { name: 'Paid' } } }, secretKeyCaller(projectId));
    expect(estimate.data).toEqual({ estimateSegment: { size: 2 } });
  });

  it('computes a segment whose new leaf is a sequence (not scanned) from its filled states, as before scans', async () => {
    release();
    gate = Promise.resolve();
    const projectId = randomUUID();
    const [alice, bob] = [randomUUID(), randomUUID()];
    await seedKnownProfiles(segments, projectId, [alice, bob]);
    await ingest(projectId, [
      { profileId: alice, name: 'Viewed', at: Date.now() - 2 * DAY },
      { profileId: alice, name: 'Bought', at: Date.now() - DAY },
      { profileId: bob, name: 'Bought', at: Date.now() - DAY },
    ]);
    await liveSettled();
    const created = await segments.query<{ createSegment: { id: string; status: string; size: number } }>(
      CREATE,
      { input: { name: 'Then', kind: 'DYNAMIC', rules: { sequence: { steps: [{ name: 'Viewed' }, { name: 'Bought' }], within: { days: 3 } } } } },
      secretKeyCaller(projectId),
    );
    expect(created.data!.createSegment).toMatchObject({ status: 'READY', size: 1 });
    expect(await fromScan(created.data!.createSegment.id)).toBe(false);
  });
});
