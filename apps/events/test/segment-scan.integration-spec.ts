import { randomUUID } from 'node:crypto';
import { createInbox } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { v7 as timeOrderedUuid } from 'uuid';
import {
  addHit,
  decodeLeafScanRows,
  emptyLeafState,
  evaluateLeaf,
  hitOf,
  hitSpecOf,
  LEAF_SCAN_ROW_BYTES,
  numericValueSql,
  scanDefaultMask,
  type EventRule,
  type LeafScanRow,
} from '@boomerang/audience';
import { LeafBackfillDoneSchema, ScanEventLeaves, STREAM_END_HEADER, type LeafBackfillDone } from '@boomerang/contracts';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { ensureMonthPartition, monthStart } from '../src/partitions/event-partitions.js';
import { EventLeavesScan, parseEventLeavesScanRequest } from '../src/segment-backfill/event-leaves-scan.js';
import { startEventsSubgraph } from './support.js';

const DAY = 86_400_000;

interface StoredEvent {
  profile: string | null;
  name: string;
  properties: Record<string, unknown>;
  timestampMs: number;
}

/** A small deterministic generator (the same events every run). */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * ScanEventLeaves answered by events: one grouped scan of the raw events whose per-profile
 * verdicts are those the audience language gives a state of every hit (`evaluateLeaf`), so a
 * segment's members can be written from it before any state exists.
 */
describe('segment scan (ScanEventLeaves)', () => {
  let sut: TestSubgraph;
  let db: DataSource;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
    for (let month = -4; month <= 0; month++) await ensureMonthPartition(db, monthStart(new Date(), month));
  });
  afterAll(() => sut?.close());

  const store = async (project: string, events: readonly StoredEvent[]) => {
    await db.query(
      `INSERT INTO event (id, project_id, profile_id, message_id, name, properties, "timestamp")
       SELECT id, $1, profile_id, message_id, name, properties::jsonb, timestamptz 'epoch' + ms * interval '1 millisecond'
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::int8[]) AS input(id, profile_id, message_id, name, properties, ms)`,
      [
        project,
        events.map((event) => timeOrderedUuid({ msecs: event.timestampMs })),
        events.map((event) => event.profile),
        events.map(() => randomUUID()),
        events.map((event) => event.name),
        events.map((event) => JSON.stringify(event.properties)),
        events.map((event) => event.timestampMs),
      ],
    );
  };

  const scan = async (request: unknown): Promise<{ rows: LeafScanRow[]; done: LeafBackfillDone; chunks: number }> => {
    const { nc, subjects } = sut.messaging;
    const inbox = createInbox(`${subjects.prefix}_INBOX`);
    const subscription = nc.subscribe(inbox);
    const timer = setTimeout(() => subscription.unsubscribe(), 30_000);
    const rows: LeafScanRow[] = [];
    let chunks = 0;
    try {
      nc.publish(subjects.request(ScanEventLeaves.name), JSON.stringify(request), { reply: inbox });
      for await (const message of subscription) {
        if (message.headers?.get(STREAM_END_HEADER)) return { rows, done: LeafBackfillDoneSchema.parse(message.json()), chunks };
        chunks++;
        expect(message.data.length % LEAF_SCAN_ROW_BYTES).toBe(0);
        rows.push(...decodeLeafScanRows(message.data));
      }
      throw new Error('the scan stream ended without its final message');
    } finally {
      clearTimeout(timer);
      subscription.unsubscribe();
    }
  };

  /** What segments' states would say: each leaf judged by evaluateLeaf over a state of all the profile's hits. */
  const expectedMasks = (events: readonly StoredEvent[], rules: readonly EventRule[], nowMs: number) => {
    const masks = new Map<string, number>();
    const byProfile = new Map<string, StoredEvent[]>();
    for (const event of [...events].sort((a, b) => a.timestampMs - b.timestampMs))
      if (event.profile) byProfile.set(event.profile, [...(byProfile.get(event.profile) ?? []), event]);
    for (const [profile, mine] of byProfile) {
      let mask = 0;
      rules.forEach((rule, bit) => {
        const leaf = { kind: 'event' as const, key: '', rule };
        const spec = hitSpecOf(leaf);
        const state = emptyLeafState();
        for (const event of mine) {
          const value = hitOf(spec, { name: event.name, timestampMs: event.timestampMs, properties: event.properties });
          if (value !== undefined) addHit(state, spec, event.timestampMs, value);
        }
        if (evaluateLeaf(leaf, state, nowMs).matched) mask |= 1 << bit;
      });
      masks.set(profile, mask);
    }
    return masks;
  };

  it('gives every profile the verdicts evaluateLeaf gives a state of all its hits, for each kind of event leaf, in one scan', async () => {
    const project = randomUUID();
    const now = Date.now();
    const next = random(15);
    const profiles = Array.from({ length: 60 }, () => randomUUID());
    const amounts = [5, 12.5, '40', '7.25', 'n/a', null, 95, 250, -3, '1e3'];
    const events: StoredEvent[] = [];
    for (const profile of profiles) {
      const count = Math.floor(next() * 9);
      for (let i = 0; i < count; i++) {
        const name = next() < 0.6 ? 'Bought' : 'Viewed';
        const amount = amounts[Math.floor(next() * amounts.length)];
        events.push({
          profile,
          name,
          properties: { ...(amount === null ? {} : { amount }), plan: next() < 0.5 ? 'pro' : 'free' },
          timestampMs: now - Math.floor(next() * 100 * DAY),
        });
      }
    }
    // On the edges of a 30-day window, and an event of no profile (left out).
    events.push({ profile: profiles[0]!, name: 'Bought', properties: { amount: 1 }, timestampMs: now - 30 * DAY });
    events.push({ profile: profiles[1]!, name: 'Bought', properties: { amount: 1 }, timestampMs: now - 30 * DAY + 1 });
    events.push({ profile: null, name: 'Bought', properties: { amount: 1000 }, timestampMs: now - DAY });
    events.push({ profile: profiles[2]!, name: 'Viewed', properties: {}, timestampMs: now - 3_600_000 });
    await store(project, events);
    const at = (ms: number) => new Date(ms).toISOString();
    const rules: EventRule[] = [
      { name: 'Bought' },
      { name: 'Bought', count: { atMost: 2 } },
      { name: 'Bought', within: { days: 30 }, count: { exactly: 2 } },
      { name: 'Bought', aggregate: { fn: 'sum', property: 'amount', op: 'gt', value: 100 } },
      { name: 'Bought', within: { days: 60 }, aggregate: { fn: 'avg', property: 'amount', op: 'between', values: [10, 50] } },
      { name: 'Bought', between: { from: at(now - 80 * DAY), to: at(now - 20 * DAY) }, aggregate: { fn: 'min', property: 'amount', op: 'lt', value: 6 } },
      { name: 'Bought', aggregate: { fn: 'max', property: 'amount', op: 'gte', value: 95 }, count: { atLeast: 2 } },
      { name: 'Bought', first: { before: at(now - 50 * DAY) }, last: { inLast: { days: 10 } } },
      { name: 'Viewed', last: { notInLast: { days: 20 } } },
      { name: 'Viewed', where: [{ property: 'plan', op: 'eq', value: 'pro' }], count: { atLeast: 2 } },
      { name: 'Viewed', within: { hours: 12 }, count: { atMost: 0 } },
      { name: 'Bought', aggregate: { fn: 'sum', property: 'amount', op: 'neq', value: 0 }, first: { after: at(now - 90 * DAY), inLast: { days: 95 } } },
    ];
    const answer = await scan({ projectId: project, at: at(now), leaves: rules });
    expect(answer.done).toEqual({ ok: true, rows: answer.rows.length, snapshotAt: expect.any(String) });
    const expected = expectedMasks(events, rules, now);
    const defaultMask = scanDefaultMask(rules);
    // Only profiles whose verdicts differ from those of no hits, in id order.
    expect(answer.rows.map((row) => row.profileId)).toEqual([...answer.rows.map((row) => row.profileId)].sort());
    const got = new Map(answer.rows.map((row) => [row.profileId, row.mask]));
    for (const profile of profiles) {
      const want = expected.get(profile) ?? defaultMask;
      const have = got.get(profile) ?? defaultMask;
      const differing = rules.flatMap((rule, bit) => (((want ^ have) & (1 << bit)) !== 0 ? [{ rule, expected: (want & (1 << bit)) !== 0 }] : []));
      expect({ profile, differing }).toEqual({ profile, differing: [] });
    }
    expect(answer.rows.every((row) => row.mask !== defaultMask)).toBe(true);
    // Every leaf is decided both ways somewhere (the data exercise them).
    rules.forEach((_rule, bit) => {
      const holds = profiles.filter((profile) => ((expected.get(profile) ?? defaultMask) & (1 << bit)) !== 0).length;
      expect({ bit, some: holds > 0, notAll: holds < profiles.length }).toEqual({ bit, some: true, notAll: true });
    });
  });

  it('reads a value property without a correlated subquery (one made the scan of a sum about 40% slower)', async () => {
    const params: unknown[] = [];
    const value = numericValueSql('amount', 'e.properties', params);
    // Forced parallel mode puts a Gather on top of a plan only when it holds no correlated subquery (workers may run all of it).
    const plan = await db.transaction(async (manager) => {
      await manager.query(`SELECT set_config(name, 'on', true) FROM pg_settings WHERE name IN ('force_parallel_mode', 'debug_parallel_query')`);
      return JSON.stringify(await manager.query(`EXPLAIN (FORMAT JSON) SELECT ${value} FROM event e`, params));
    });
    expect(plan).toMatch(/^\[\{"QUERY PLAN":\[\{"Plan":\{"Node Type":"Gather"/);
  });

  it('hands a scan of more rows than a chunk holds on in several chunks, every row once, in profile id order', async () => {
    const project = randomUUID();
    const now = Date.now();
    // A chunk holds 26,214 rows (512 KiB): one profile past two chunks, half of them with their hit in another partition.
    const profiles = Array.from({ length: 2 * 26_214 + 1 }, () => randomUUID());
    await store(
      project,
      profiles.map((profile, index) => ({ profile, name: 'Bought', properties: { amount: index % 7 }, timestampMs: now - (index % 2 === 0 ? DAY : 40 * DAY) })),
    );
    const answer = await scan({ projectId: project, at: new Date(now).toISOString(), leaves: [{ name: 'Bought', within: { days: 60 } }] });
    expect(answer.done).toEqual({ ok: true, rows: profiles.length, snapshotAt: expect.any(String) });
    expect(answer.chunks).toBe(3);
    expect(answer.rows.map((row) => row.profileId)).toEqual([...profiles].sort());
    expect(answer.rows.every((row) => row.mask === 1)).toBe(true);
  });

  it('reads an answer of more rows than one statement may hold again through a cursor, in the same snapshot: the same rows', async () => {
    const project = randomUUID();
    const now = Date.now();
    const profiles = Array.from({ length: 2_500 }, () => randomUUID());
    await store(
      project,
      profiles.map((profile, index) => ({ profile, name: 'Bought', properties: {}, timestampMs: now - (index % 3) * DAY })),
    );
    const leavesScan = sut.app.get(EventLeavesScan);
    const request = parseEventLeavesScanRequest(new TextEncoder().encode(JSON.stringify({ projectId: project, at: new Date(now).toISOString(), leaves: [{ name: 'Bought', within: { days: 7 } }] })));
    const read = async () => {
      const rows: LeafScanRow[] = [];
      const result = await leavesScan.execute(request, async (chunk) => void rows.push(...chunk));
      return { ...result, ids: rows.map((row) => row.profileId) };
    };
    const whole = await read();
    const limit = leavesScan.wholeScanRows;
    leavesScan.wholeScanRows = 1_000;
    try {
      const cursor = await read();
      expect({ ...cursor, snapshotAt: undefined }).toEqual({ rows: profiles.length, cursor: true, ids: [...profiles].sort(), snapshotAt: undefined });
      expect({ ...whole, snapshotAt: undefined }).toEqual({ ...cursor, cursor: false, snapshotAt: undefined });
    } finally {
      leavesScan.wholeScanRows = limit;
    }
  });

  it('answers a project with its own events only', async () => {
    const [mine, theirs] = [randomUUID(), randomUUID()];
    const [alice, bob] = [randomUUID(), randomUUID()];
    await store(mine, [{ profile: alice, name: 'Bought', properties: {}, timestampMs: Date.now() - DAY }]);
    await store(theirs, [{ profile: bob, name: 'Bought', properties: {}, timestampMs: Date.now() - DAY }]);
    const answer = await scan({ projectId: mine, at: new Date().toISOString(), leaves: [{ name: 'Bought' }] });
    expect(answer.rows).toEqual([{ profileId: alice, mask: 1 }]);
  });

  it('refuses a leaf the audience language refuses, naming its path', async () => {
    const answer = await scan({ projectId: randomUUID(), at: new Date().toISOString(), leaves: [{ name: 'Bought' }, { name: 'Bought', count: { atLeast: -1 } }] });
    expect(answer.rows).toEqual([]);
    expect(answer.done).toEqual({ ok: false, error: expect.stringMatching(/^leaves\[1\]\.count\.atLeast: /) });
  });
});
