import { randomUUID } from 'node:crypto';
import { createInbox } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { v7 as timeOrderedUuid } from 'uuid';
import { decodeLeafHitRows, MAX_KEPT_HITS, MAX_LEAF_HIT_CHUNK_BYTES, type LeafHitRow, type LeafRecentHitRow, type LeafSummaryRow } from '@boomerang/audience';
import { BackfillLeafHits, LeafBackfillDoneSchema, STREAM_END_HEADER, type LeafBackfillDone } from '@boomerang/contracts';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { ensureMonthPartition, monthStart } from '../src/partitions/event-partitions.js';
import { startEventsSubgraph } from './support.js';

const DAY = 86_400_000;
/** BACKFILL_BENCH_EVENTS=1000000 (at most 2,000,000) times backfills over that many generated events. */
const BENCH_EVENTS = Math.min(Number(process.env.BACKFILL_BENCH_EVENTS ?? 0), 2_000_000);

interface StoredEvent {
  project: string;
  profile: string | null;
  name: string;
  properties?: Record<string, unknown>;
  timestampMs: number;
  /** When the event's id was minted (default: at its timestamp). */
  mintedMs?: number;
}

interface BackfillAnswer {
  rows: LeafHitRow[];
  done: LeafBackfillDone;
  chunkSizes: number[];
}

/** BackfillLeafHits answered by events from its partitions, read as segments reads it: a streamed reply to an inbox. */
describe('segment backfill (BackfillLeafHits)', () => {
  let sut: TestSubgraph;
  let db: DataSource;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
  });
  afterAll(() => sut?.close());

  const store = async (events: readonly StoredEvent[]): Promise<string[]> => {
    const ids = events.map((event) => timeOrderedUuid({ msecs: event.mintedMs ?? event.timestampMs }));
    await db.query(
      `INSERT INTO event (id, project_id, profile_id, message_id, name, properties, "timestamp")
       SELECT id, project_id, profile_id, message_id, name, properties::jsonb, timestamptz 'epoch' + ms * interval '1 millisecond'
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::int8[]) AS input(id, project_id, profile_id, message_id, name, properties, ms)`,
      [
        ids,
        events.map((event) => event.project),
        events.map((event) => event.profile),
        events.map(() => randomUUID()),
        events.map((event) => event.name),
        events.map((event) => JSON.stringify(event.properties ?? {})),
        events.map((event) => event.timestampMs),
      ],
    );
    return ids;
  };

  /** Sends the request with an inbox as its reply subject and reads the stream to its end. */
  const backfill = async (request: unknown, raw?: string): Promise<BackfillAnswer> => {
    const { nc, subjects } = sut.messaging;
    const inbox = createInbox(`${subjects.prefix}_INBOX`);
    const subscription = nc.subscribe(inbox);
    const timer = setTimeout(() => subscription.unsubscribe(), 30_000);
    const rows: LeafHitRow[] = [];
    const chunkSizes: number[] = [];
    try {
      nc.publish(subjects.request(BackfillLeafHits.name), raw ?? JSON.stringify(request), { reply: inbox });
      for await (const message of subscription) {
        if (message.headers?.get(STREAM_END_HEADER)) return { rows, done: LeafBackfillDoneSchema.parse(message.json()), chunkSizes };
        chunkSizes.push(message.data.length);
        rows.push(...decodeLeafHitRows(message.data));
      }
      throw new Error('the backfill stream ended without its final message');
    } finally {
      clearTimeout(timer);
      subscription.unsubscribe();
    }
  };

  const summaries = (answer: BackfillAnswer, leaf: number) =>
    new Map(answer.rows.filter((row): row is LeafSummaryRow => row.kind === 'summary' && row.leaf === leaf).map((row) => [row.profileId, row]));
  const recents = (answer: BackfillAnswer, leaf: number) => answer.rows.filter((row): row is LeafRecentHitRow => row.kind === 'recent' && row.leaf === leaf);

  describe('one project with several leaf kinds', () => {
    const project = randomUUID();
    const other = randomUUID();
    const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const now = Date.now();
    const recentFrom = now - 60_000;
    let answer: BackfillAnswer;
    let recentViewId: string;

    beforeAll(async () => {
      const events: StoredEvent[] = [
        { project, profile: alice, name: 'Viewed', properties: { plan: 'pro' }, timestampMs: now - 10 * DAY },
        { project, profile: alice, name: 'Viewed', properties: { plan: 'free' }, timestampMs: now - 5 * DAY },
        { project, profile: alice, name: 'Viewed', properties: { plan: 'pro' }, timestampMs: now - 1 * DAY },
        { project, profile: alice, name: 'Bought', properties: { amount: 10 }, timestampMs: now - 3 * DAY },
        { project, profile: alice, name: 'Bought', properties: { amount: '12.5' }, timestampMs: now - 2 * DAY },
        { project, profile: alice, name: 'Bought', properties: { amount: 'n/a', order: { amount: 99 } }, timestampMs: now - 1 * DAY },
        { project, profile: bob, name: 'Viewed', timestampMs: now - 40 * DAY },
        { project, profile: bob, name: 'Viewed', properties: { plan: { tier: 'pro' } }, timestampMs: now - 2 * DAY },
        { project, profile: bob, name: 'Signed Up', timestampMs: now - 6 * DAY },
        { project, profile: bob, name: 'Bought', properties: { amount: 30 }, timestampMs: now - 5 * DAY },
        // Not linked to a profile yet, another project's, and another name: none of these.
        { project, profile: null, name: 'Viewed', properties: { plan: 'pro' }, timestampMs: now - 2 * DAY },
        { project: other, profile: carol, name: 'Viewed', properties: { plan: 'pro' }, timestampMs: now - 2 * DAY },
        { project, profile: carol, name: 'Clicked', timestampMs: now - 2 * DAY },
      ];
      await store(events);
      // Stored a moment ago with a timestamp two days back (a late SDK batch): a recent hit by its id.
      [recentViewId] = await store([{ project, profile: alice, name: 'Viewed', properties: { plan: 'pro' }, timestampMs: now - 2 * DAY, mintedMs: now }]);
      answer = await backfill({
        projectId: project,
        recentFrom: new Date(recentFrom).toISOString(),
        leaves: [
          { steps: [{ name: 'Viewed' }], keepsHits: false },
          { steps: [{ name: 'Viewed' }], keepsHits: true, since: new Date(now - 30 * DAY).toISOString() },
          { steps: [{ name: 'Bought' }], valueProperty: 'amount', keepsHits: false },
          { steps: [{ name: 'Signed Up' }, { name: 'Bought' }], keepsHits: true },
          { steps: [{ name: 'Viewed' }], from: new Date(now - 7 * DAY).toISOString(), to: new Date(now - 1.5 * DAY).toISOString(), keepsHits: false },
          { steps: [{ name: 'Viewed', where: [{ property: 'plan', op: 'eq', value: 'pro' }] }], keepsHits: false },
          { steps: [{ name: 'Viewed', where: [{ property: 'plan.tier', op: 'in', values: ['pro', 'team'] }] }], keepsHits: false },
        ],
      });
    });

    it('ends with ok, the number of rows sent and the time of its snapshot', () => {
      expect(answer.done).toEqual({ ok: true, rows: answer.rows.length, snapshotAt: expect.any(String) });
      const snapshotAt = Date.parse((answer.done as { snapshotAt: string }).snapshotAt);
      expect(snapshotAt).toBeGreaterThanOrEqual(now);
      expect(snapshotAt).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('counts each profile’s older hits, and sends each recent one with its event id; unlinked and other projects’ events left out', () => {
      expect([...summaries(answer, 0).keys()].sort()).toEqual([alice, bob].sort());
      expect(summaries(answer, 0).get(alice)).toMatchObject({ n: 3, vn: 0, sum: 0, min: null, max: null, first: now - 10 * DAY, last: now - 1 * DAY, times: [], vals: [] });
      expect(summaries(answer, 0).get(bob)).toMatchObject({ n: 2, first: now - 40 * DAY, last: now - 2 * DAY });
      expect(recents(answer, 0)).toEqual([{ kind: 'recent', leaf: 0, profileId: alice, eventId: recentViewId, time: now - 2 * DAY, value: null }]);
      expect(answer.rows.some((row) => row.profileId === carol)).toBe(false);
    });

    it('keeps the times of a window’s hits since its start, oldest first', () => {
      expect(summaries(answer, 1).get(alice)).toMatchObject({ n: 3, first: now - 10 * DAY, times: [now - 10 * DAY, now - 5 * DAY, now - 1 * DAY], vals: [null, null, null] });
      expect(summaries(answer, 1).get(bob)).toMatchObject({ n: 1, times: [now - 2 * DAY] });
      expect(recents(answer, 1).map((row) => row.eventId)).toEqual([recentViewId]);
    });

    it('aggregates a numeric property (numbers and decimal strings; other values count as hits without a value)', () => {
      expect(summaries(answer, 2).get(alice)).toMatchObject({ n: 3, vn: 2, sum: 22.5, min: 10, max: 12.5, times: [] });
      expect(summaries(answer, 2).get(bob)).toMatchObject({ n: 1, vn: 1, sum: 30, min: 30, max: 30 });
    });

    it('gives a sequence’s hits their step bitmask', () => {
      expect(summaries(answer, 3).get(bob)).toMatchObject({ n: 2, vn: 0, sum: 0, min: null, max: null, times: [now - 6 * DAY, now - 5 * DAY], vals: [1, 2] });
      expect(summaries(answer, 3).get(alice)).toMatchObject({ n: 3, vals: [2, 2, 2] });
    });

    it('reads only a fixed window’s events, and those meeting the conditions (exact key, then dot path)', () => {
      expect([...summaries(answer, 4).values()].map((row) => [row.profileId, row.n]).sort()).toEqual([[alice, 1], [bob, 1]].sort());
      expect(recents(answer, 4)).toHaveLength(1);
      expect([...summaries(answer, 5).values()].map((row) => [row.profileId, row.n])).toEqual([[alice, 2]]);
      expect(recents(answer, 5)).toHaveLength(1);
      expect([...summaries(answer, 6).values()].map((row) => [row.profileId, row.n])).toEqual([[bob, 1]]);
    });

    it('answers another project with its own events only', async () => {
      const theirs = await backfill({ projectId: other, recentFrom: new Date(recentFrom).toISOString(), leaves: [{ steps: [{ name: 'Viewed' }], keepsHits: false }] });
      expect(theirs.done.ok).toBe(true);
      expect(theirs.rows).toEqual([expect.objectContaining({ kind: 'summary', profileId: carol, n: 1 })]);
    });

    it('splits older and recent hits by event id at recentFrom', async () => {
      const everythingRecent = await backfill({ projectId: project, recentFrom: new Date(0).toISOString(), leaves: [{ steps: [{ name: 'Viewed' }], keepsHits: false }] });
      expect(everythingRecent.rows.every((row) => row.kind === 'recent')).toBe(true);
      expect(everythingRecent.rows).toHaveLength(6);
      const nothingRecent = await backfill({ projectId: project, recentFrom: new Date(now + 60_000).toISOString(), leaves: [{ steps: [{ name: 'Viewed' }], keepsHits: false }] });
      expect(nothingRecent.rows.map((row) => row.kind)).toEqual(['summary', 'summary']);
      expect(summaries(nothingRecent, 0).get(alice)!.n).toBe(4);
    });
  });

  it('keeps a heavy profile’s newest hits, and cuts the stream into chunks of at most 512 KB', async () => {
    const project = randomUUID();
    const profiles = Array.from({ length: 8 }, () => randomUUID());
    const start = Date.parse('2026-01-01T00:00:00Z');
    // 5,001 hits each (one more than a state keeps), a second apart; ids minted at their times.
    await db.query(
      `INSERT INTO event (id, project_id, profile_id, message_id, name, properties, "timestamp")
       SELECT (lpad(to_hex(($3::int8 + g * 1000)), 12, '0') || '7000' || substr(md5(p || g::text), 1, 16))::uuid,
         $1, p, md5(p || g::text), 'Viewed', jsonb_build_object('n', g), timestamptz 'epoch' + ($3::int8 + g * 1000) * interval '1 millisecond'
       FROM unnest($2::uuid[]) AS p, generate_series(0, ${MAX_KEPT_HITS}) AS g`,
      [project, profiles, start],
    );
    const answer = await backfill({ projectId: project, recentFrom: new Date().toISOString(), leaves: [{ steps: [{ name: 'Viewed' }], valueProperty: 'n', keepsHits: true }] });
    expect(answer.done).toMatchObject({ ok: true, rows: 8 });
    expect(answer.chunkSizes.length).toBeGreaterThan(1);
    expect(Math.max(...answer.chunkSizes)).toBeLessThanOrEqual(MAX_LEAF_HIT_CHUNK_BYTES);
    for (const row of answer.rows as LeafSummaryRow[]) {
      expect(row).toMatchObject({ n: MAX_KEPT_HITS + 1, vn: MAX_KEPT_HITS + 1, min: 0, max: MAX_KEPT_HITS, first: start, last: start + MAX_KEPT_HITS * 1000 });
      expect(row.times).toHaveLength(MAX_KEPT_HITS);
      expect(row.times[0]).toBe(start + 1000);
      expect(row.vals.slice(0, 2)).toEqual([1, 2]);
      expect(row.vals.at(-1)).toBe(MAX_KEPT_HITS);
    }
  });

  it('never fails on stored values: huge and tiny numbers, numeric strings, bad dates', async () => {
    const project = randomUUID();
    const profile = randomUUID();
    const now = Date.now() - DAY;
    await store([
      { project, profile, name: 'Paid', properties: { amount: 1e308, day: '2026-03-02' }, timestampMs: now },
      { project, profile, name: 'Paid', properties: { amount: 1e308 }, timestampMs: now + 1 },
      { project, profile, name: 'Paid', properties: { amount: '1e999999', day: '2026-02-30' }, timestampMs: now + 2 },
      { project, profile, name: 'Paid', properties: { amount: '-1e-999', day: '2026-13-45' }, timestampMs: now + 3 },
    ]);
    await db.query(`UPDATE event SET properties = '{"amount": 1e400}' WHERE project_id = $1 AND "timestamp" = timestamptz 'epoch' + $2::int8 * interval '1 millisecond'`, [project, now + 1]);
    const answer = await backfill({
      projectId: project,
      recentFrom: new Date().toISOString(),
      leaves: [
        { steps: [{ name: 'Paid' }], valueProperty: 'amount', keepsHits: false },
        { steps: [{ name: 'Paid', where: [{ property: 'day', op: 'gt', type: 'date', value: '2026-03-01T00:00:00Z' }] }], keepsHits: false },
        { steps: [{ name: 'Paid', where: [{ property: 'amount', op: 'gte', value: 0 }] }], keepsHits: false },
      ],
    });
    expect(answer.done.ok).toBe(true);
    // 1e400 reads as Infinity in JavaScript: not a number; '1e999999' neither; '-1e-999' is -0.
    expect(summaries(answer, 0).get(profile)).toMatchObject({ n: 4, vn: 2, sum: 1e308, max: 1e308 });
    // '2026-02-30' and '2026-13-45' are no calendar days: only 2026-03-02 is after March 1.
    expect(summaries(answer, 1).get(profile)).toMatchObject({ n: 1 });
    expect(summaries(answer, 2).get(profile)).toMatchObject({ n: 2 });
  });

  it('sums past the largest double to Infinity, as JavaScript would, instead of failing', async () => {
    const project = randomUUID();
    const profile = randomUUID();
    await store([1, 2].map((offset) => ({ project, profile, name: 'Paid', properties: { amount: 1.5e308 }, timestampMs: Date.now() - DAY + offset })));
    const answer = await backfill({ projectId: project, recentFrom: new Date().toISOString(), leaves: [{ steps: [{ name: 'Paid' }], valueProperty: 'amount', keepsHits: false }] });
    expect(answer.done).toMatchObject({ ok: true });
    expect(summaries(answer, 0).get(profile)).toMatchObject({ n: 2, vn: 2, sum: Infinity });
  });

  it('answers a malformed request with ok: false naming what is wrong', async () => {
    const notJson = await backfill(undefined, '{"projectId":');
    expect(notJson).toEqual({ rows: [], chunkSizes: [], done: { ok: false, error: 'request: must be JSON' } });
    const badCondition = await backfill({
      projectId: randomUUID(),
      recentFrom: new Date().toISOString(),
      leaves: [{ steps: [{ name: 'Bought', where: [{ property: 'amount', op: 'gt', type: 'number', value: 'ten' }] }], keepsHits: false }],
    });
    expect(badCondition.done).toEqual({ ok: false, error: expect.stringMatching(/^leaves\[0\]\.steps\[0\]\.where\[0\]\.value: must be a number/) });
    const badDate = await backfill({
      projectId: randomUUID(),
      recentFrom: new Date().toISOString(),
      leaves: [{ steps: [{ name: 'Bought', where: [{ property: 'day', op: 'gte', type: 'date', value: '0001-01-00' }] }], keepsHits: false }],
    });
    expect(badDate.done).toEqual({ ok: false, error: expect.stringMatching(/^leaves\[0\]\.steps\[0\]\.where\[0\]\.value: a date is/) });
    const noLeaves = await backfill({ projectId: 'nope', recentFrom: 'yesterday', leaves: [] });
    expect(noLeaves.done.ok).toBe(false);
    expect((noLeaves.done as { error: string }).error).toMatch(/projectId: .*; leaves: .*; recentFrom: /);
  });

  (BENCH_EVENTS ? it : it.skip)(
    `bench: backfills over ${BENCH_EVENTS} events, against hand-written SQL over the same rows`,
    async () => {
      const project = randomUUID();
      const now = Date.now();
      for (let month = -12; month <= 0; month++) await ensureMonthPartition(db, monthStart(new Date(now), month));
      const profiles = Math.max(1, Math.round(BENCH_EVENTS / 10));
      const loadStarted = performance.now();
      // 10 events a profile on average (1 in 20 not linked yet), a year of history; names: Viewed 40 %, Clicked 30 %, Purchase, Signed Up, Searched 10 % each.
      await db.query(
        `INSERT INTO event (id, project_id, profile_id, message_id, name, properties, "timestamp")
         SELECT (lpad(to_hex(ms), 12, '0') || '7' || substr(md5(g::text), 1, 19))::uuid, $1::uuid,
           CASE WHEN random() >= 0.05 THEN ('00000000-0000-4000-8000-' || lpad(to_hex(floor(random() * $3)::int8), 12, '0'))::uuid END,
           md5(g::text),
           (ARRAY['Viewed', 'Viewed', 'Viewed', 'Viewed', 'Clicked', 'Clicked', 'Clicked', 'Purchase', 'Signed Up', 'Searched'])[1 + floor(random() * 10)::int],
           jsonb_build_object('amount', round((random() * 200)::numeric, 2), 'plan', (ARRAY['free', 'pro', 'team'])[1 + g % 3], 'page', '/p/' || (g % 50)),
           timestamptz 'epoch' + ms * interval '1 millisecond'
         FROM (SELECT g, ($2::int8 - (random() * 365 * 86400000)::int8) AS ms FROM generate_series(1, $4::int) AS g) AS input`,
        [project, now, profiles, BENCH_EVENTS],
      );
      // As autovacuum leaves a table: hint bits set, statistics current.
      await db.query('VACUUM ANALYZE event');
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      const leaves = {
        'Purchase ever (count)': { steps: [{ name: 'Purchase' }], keepsHits: false },
        'sum of Purchase amount': { steps: [{ name: 'Purchase' }], valueProperty: 'amount', keepsHits: false },
        'Viewed in the last 90 days (keeps hits)': { steps: [{ name: 'Viewed' }], keepsHits: true, since: new Date(now - 90 * DAY).toISOString() },
        'Viewed with plan = pro': { steps: [{ name: 'Viewed', where: [{ property: 'plan', op: 'eq', value: 'pro' }] }], keepsHits: false },
        'Signed Up then Purchase within 30 days': { steps: [{ name: 'Signed Up' }, { name: 'Purchase' }], keepsHits: true },
      };
      const handWritten: Record<string, string> = {
        'Purchase ever (count)': `SELECT profile_id, count(*), min("timestamp"), max("timestamp") FROM event WHERE project_id = $1 AND name = 'Purchase' AND profile_id IS NOT NULL GROUP BY profile_id`,
        'sum of Purchase amount': `SELECT profile_id, count(*), sum((properties ->> 'amount')::float8), min((properties ->> 'amount')::float8), max((properties ->> 'amount')::float8), min("timestamp"), max("timestamp") FROM event WHERE project_id = $1 AND name = 'Purchase' AND profile_id IS NOT NULL GROUP BY profile_id`,
        'Viewed in the last 90 days (keeps hits)': `SELECT profile_id, count(*), array_agg(extract(epoch FROM "timestamp") ORDER BY "timestamp") FROM event WHERE project_id = $1 AND name = 'Viewed' AND profile_id IS NOT NULL AND "timestamp" >= now() - interval '90 days' GROUP BY profile_id`,
        'Viewed with plan = pro': `SELECT profile_id, count(*), min("timestamp"), max("timestamp") FROM event WHERE project_id = $1 AND name = 'Viewed' AND properties ->> 'plan' = 'pro' AND profile_id IS NOT NULL GROUP BY profile_id`,
        'Signed Up then Purchase within 30 days': `SELECT profile_id, count(*), array_agg(extract(epoch FROM "timestamp") ORDER BY "timestamp"), array_agg(CASE WHEN name = 'Signed Up' THEN 1 ELSE 2 END ORDER BY "timestamp") FROM event WHERE project_id = $1 AND name IN ('Signed Up', 'Purchase') AND profile_id IS NOT NULL GROUP BY profile_id`,
      };
      const lines = [`backfill bench: ${BENCH_EVENTS} events, ${profiles} profiles, loaded in ${loadSeconds.toFixed(1)} s`];
      for (const [label, leaf] of Object.entries(leaves)) {
        const started = performance.now();
        const answer = await backfill({ projectId: project, recentFrom: new Date(now - 60_000).toISOString(), leaves: [leaf] });
        const seconds = (performance.now() - started) / 1000;
        expect(answer.done.ok).toBe(true);
        const sqlStarted = performance.now();
        const rows = (await db.query(handWritten[label]!, [project])) as unknown[];
        const sqlSeconds = (performance.now() - sqlStarted) / 1000;
        lines.push(
          `  ${label}: ${seconds.toFixed(2)} s, ${answer.rows.length} rows in ${answer.chunkSizes.length} chunks (${(answer.chunkSizes.reduce((a, b) => a + b, 0) / 1e6).toFixed(1)} MB); hand-written SQL ${sqlSeconds.toFixed(2)} s (${rows.length} rows)`,
        );
      }
      const started = performance.now();
      const all = await backfill({ projectId: project, recentFrom: new Date(now - 60_000).toISOString(), leaves: Object.values(leaves) });
      lines.push(`  all five in one request: ${((performance.now() - started) / 1000).toFixed(2)} s, ${all.rows.length} rows`);
      console.log(lines.join('\n'));
    },
    20 * 60_000,
  );
});
