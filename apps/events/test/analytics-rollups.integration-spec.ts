import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ProfileDeleted, ProfileIdentified, ProfileMerged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { SETTINGS_LOCK } from '../src/analytics/analytics-settings.js';
import { ANALYTICS_EVENTS_DURABLE, uuidV7Floor } from '../src/analytics/rollup.consumers.js';
import { RollupBackfill } from '../src/analytics/rollup-backfill.js';
import { Rollups } from '../src/analytics/rollups.js';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ingestCommand, startEventsSubgraph } from './support.js';

interface DayRow {
  profile_id: string;
  day: string;
  events: number;
  revenue: string;
}

/** The rollups kept from events' own stream, and backfilled once from the event table. */
describe('analytics rollups', () => {
  let sut: TestSubgraph;
  let db: DataSource;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
  });
  afterAll(() => sut?.close());

  const ingest = (projectId: string, events: Partial<IngestEventCommand>[]) =>
    sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));
  const settled = async () => {
    await sut.flushOutbox();
    await eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('events'), ANALYTICS_EVENTS_DURABLE);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
  };
  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), {
      msgID: randomUUID(),
    });
  const days = async (projectId: string): Promise<DayRow[]> =>
    (await db.query(
      `SELECT profile_id, to_char(day, 'YYYY-MM-DD') AS day, events, revenue::text AS revenue FROM "${sut.schema}".profile_day WHERE project_id = $1 ORDER BY profile_id, day`,
      [projectId],
    )) as DayRow[];
  const namedDays = async (projectId: string) =>
    (await db.query(
      `SELECT profile_id, name, to_char(day, 'YYYY-MM-DD') AS day, events, revenue::text AS revenue FROM "${sut.schema}".profile_day_event WHERE project_id = $1 ORDER BY profile_id, day, name`,
      [projectId],
    )) as (DayRow & { name: string })[];
  const firstSeen = async (projectId: string) =>
    (await db.query(
      `SELECT profile_id, to_char(first_day, 'YYYY-MM-DD') AS first_day FROM "${sut.schema}".profile_first_seen WHERE project_id = $1 ORDER BY profile_id`,
      [projectId],
    )) as { profile_id: string; first_day: string }[];
  /** Row versions of the project's first rows: a rewrite changes its xmin. */
  const firstRowVersions = async (projectId: string) =>
    (await db.query(
      `SELECT 'seen' AS kind, profile_id, xmin::text AS version FROM "${sut.schema}".profile_first_seen WHERE project_id = $1
       UNION ALL SELECT name, profile_id, xmin::text FROM "${sut.schema}".profile_first_event WHERE project_id = $1 ORDER BY 1, 2`,
      [projectId],
    )) as { kind: string; profile_id: string; version: string }[];
  const settings = (projectId: string, input: Record<string, string>) =>
    sut.query<{ updateAnalyticsSettings: Record<string, string> }>(
      `mutation($input: UpdateAnalyticsSettingsInput!) { updateAnalyticsSettings(input: $input) { timeZone revenueEvent revenueProperty } }`,
      { input },
      secretKeyCaller(projectId),
    );

  it("counts each event once on its local day in the project's time zone, across the end of DST, with lenient revenue", async () => {
    const projectId = randomUUID();
    const [ada] = await newKnownProfiles(sut, projectId, 1);
    expect((await settings(projectId, { timeZone: 'America/New_York', revenueEvent: 'Order Completed', revenueProperty: 'total' })).data?.updateAnalyticsSettings).toEqual({
      timeZone: 'America/New_York',
      revenueEvent: 'Order Completed',
      revenueProperty: 'total',
    });
    // Clocks go back at 06:00Z on 2026-11-01: 04:30Z is 00:30 EDT, 05:30Z 01:30 EDT, 2026-11-02T04:30Z 23:30 EST — all November 1st.
    await ingest(projectId, [
      { profileId: ada, timestamp: new Date('2026-11-01T04:30:00Z'), name: 'Order Completed', properties: { total: '12.50' } },
      { profileId: ada, timestamp: new Date('2026-11-01T05:30:00Z'), name: 'Order Completed', properties: { total: 7 } },
      { profileId: ada, timestamp: new Date('2026-11-02T04:30:00Z'), name: 'Order Completed', properties: { total: 'twelve' } },
      { profileId: ada, timestamp: new Date('2026-11-02T05:30:00Z'), name: 'Viewed', properties: { total: 100 } },
    ]);
    await ingest(projectId, [{ profileId: ada, timestamp: new Date('2026-10-31T23:00:00Z'), name: 'Viewed' }]);
    await settled();
    expect(await days(projectId)).toEqual([
      { profile_id: ada, day: '2026-10-31', events: 1, revenue: '0' },
      { profile_id: ada, day: '2026-11-01', events: 3, revenue: '19.5' },
      { profile_id: ada, day: '2026-11-02', events: 1, revenue: '0' },
    ]);
    expect((await namedDays(projectId)).map((row) => [row.name, row.day, row.events, row.revenue])).toEqual([
      ['Viewed', '2026-10-31', 1, '0'],
      ['Order Completed', '2026-11-01', 3, '19.5'],
      ['Viewed', '2026-11-02', 1, '0'],
    ]);
    // A late event earlier than every other moves first-seen back.
    expect(await firstSeen(projectId)).toEqual([{ profile_id: ada, first_day: '2026-10-31' }]);
    // An earlier time of the same first day writes no first row again (only the first day is kept).
    const versions = await firstRowVersions(projectId);
    await ingest(projectId, [{ profileId: ada, timestamp: new Date('2026-10-31T22:00:00Z'), name: 'Viewed' }]);
    await eventually(async () => (await days(projectId))[0]?.events === 2);
    expect(await firstRowVersions(projectId)).toEqual(versions);

    // A change under rollups counted with the old settings is taken, and rebuilds them (analytics-rebuild spec); bad input names the field.
    const changed = await settings(projectId, { timeZone: 'Asia/Kolkata' });
    expect(changed.errors).toBeUndefined();
    const bad = await settings(randomUUID(), { timeZone: 'Mars/Olympus' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.timeZone' });
  });

  it('applies events that waited for their profile once a link names it, on the day they happened', async () => {
    const projectId = randomUUID();
    const profileId = randomUUID();
    await ingest(projectId, [
      { anonymousId: 'anon-wait', timestamp: new Date('2026-06-01T10:00:00Z') },
      { anonymousId: 'anon-wait', timestamp: new Date('2026-06-02T10:00:00Z'), name: 'Charged', properties: { Amount: 5 } },
    ]);
    await settled();
    expect(await days(projectId)).toEqual([]);
    expect((await db.query(`SELECT count(*)::int AS n FROM "${sut.schema}".analytics_unlinked WHERE project_id = $1`, [projectId]))[0].n).toBe(2);
    // The identify folds them at once (its own consumer; the minute's sweep is only a fallback).
    await publish(ProfileIdentified, projectId, { profileId, userId: 'user-wait', anonymousIds: ['anon-wait'] });
    await eventually(async () => (await days(projectId)).length === 2, { timeoutMs: 10_000 });
    expect(await days(projectId)).toEqual([
      { profile_id: profileId, day: '2026-06-01', events: 1, revenue: '0' },
      { profile_id: profileId, day: '2026-06-02', events: 1, revenue: '5' },
    ]);
    expect((await db.query(`SELECT count(*)::int AS n FROM "${sut.schema}".analytics_unlinked WHERE project_id = $1`, [projectId]))[0].n).toBe(0);
    // Applied once: a sweep adds nothing.
    await db.transaction((manager) => sut.app.get(Rollups).applyLinked(manager));
    expect((await days(projectId)).map((row) => row.events)).toEqual([1, 1]);
  });

  it('sweeps waiting events whose link came without an identify: one instance at a time, bounded', async () => {
    const projectId = randomUUID();
    const profileId = randomUUID();
    await ingest(projectId, [
      { userId: 'user-late', timestamp: new Date('2026-06-01T10:00:00Z') },
      { userId: 'user-late', timestamp: new Date('2026-06-01T11:00:00Z') },
      { anonymousId: 'anon-late', timestamp: new Date('2026-06-02T10:00:00Z') },
    ]);
    await settled();
    const waiting = async () => (await db.query(`SELECT count(*)::int AS n FROM "${sut.schema}".analytics_unlinked WHERE project_id = $1`, [projectId]))[0].n as number;
    expect(await waiting()).toBe(3);
    // Linked behind the identify's back (as when an event is stored after its identify was folded).
    await db.query(
      `INSERT INTO "${sut.schema}".profile_link (project_id, kind, value, profile_id, version) VALUES ($1, 'user_id', 'user-late', $2, 1), ($1, 'anonymous_id', 'anon-late', $2, 1)`,
      [projectId, profileId],
    );
    await db.query(`UPDATE "${sut.schema}".event SET profile_id = $2 WHERE project_id = $1 AND (user_id = 'user-late' OR anonymous_id = 'anon-late')`, [projectId, profileId]);
    // Another instance is sweeping: this one skips its round.
    const other = db.createQueryRunner();
    await other.connect();
    await other.startTransaction();
    await other.query(`SELECT pg_advisory_xact_lock(hashtextextended('analytics-linked-sweep', 0))`);
    expect(await db.transaction((manager) => sut.app.get(Rollups).applyLinked(manager))).toBe(0);
    await other.commitTransaction();
    await other.release();
    // Bounded: one event per round here.
    expect(await db.transaction((manager) => sut.app.get(Rollups).applyLinked(manager, 1))).toBe(2);
    expect(await waiting()).toBe(1);
    expect(await db.transaction((manager) => sut.app.get(Rollups).applyLinked(manager))).toBe(1);
    expect(await waiting()).toBe(0);
    expect(await days(projectId)).toEqual([
      { profile_id: profileId, day: '2026-06-01', events: 2, revenue: '0' },
      { profile_id: profileId, day: '2026-06-02', events: 1, revenue: '0' },
    ]);
  });

  it('re-points a merged profile to the survivor (counted once per day, earliest first seen) and deletes an erased one', async () => {
    const projectId = randomUUID();
    const [survivor, merged, erased] = await newKnownProfiles(sut, projectId, 3);
    await ingest(projectId, [
      { profileId: survivor, timestamp: new Date('2026-05-02T10:00:00Z') },
      { profileId: merged, timestamp: new Date('2026-05-01T10:00:00Z') },
      { profileId: merged, timestamp: new Date('2026-05-02T11:00:00Z'), name: 'Charged', properties: { Amount: 3 } },
      { profileId: erased, timestamp: new Date('2026-05-02T11:00:00Z') },
    ]);
    await settled();
    await publish(ProfileMerged, projectId, { profileId: survivor!, mergedProfileId: merged! });
    await publish(ProfileDeleted, projectId, { profileId: erased! });
    await eventually(async () => (await days(projectId)).every((row) => row.profile_id === survivor));
    // privacy's own consumer deletes the erased profile's events (the recomputation below reads them).
    await eventually(async () => (await db.query(`SELECT 1 FROM "${sut.schema}".event WHERE project_id = $1 AND profile_id = $2`, [projectId, erased])).length === 0);
    expect(await days(projectId)).toEqual([
      { profile_id: survivor, day: '2026-05-01', events: 1, revenue: '0' },
      { profile_id: survivor, day: '2026-05-02', events: 2, revenue: '3' },
    ]);
    expect(await firstSeen(projectId)).toEqual([{ profile_id: survivor, first_day: '2026-05-01' }]);
    expect((await namedDays(projectId)).map((row) => row.profile_id)).toEqual([survivor, survivor, survivor]);
    // An event of the merged profile still in flight follows the merge; one of the erased profile is dropped.
    await db.transaction((manager) =>
      sut.app.get(Rollups).applyEvents(
        manager,
        projectId,
        [merged, erased].map((profileId) => ({ eventId: randomUUID(), messageId: randomUUID(), profileId: profileId!, name: 'Late', timestamp: '2026-05-03T10:00:00Z', properties: {} })),
        { timeZone: 'UTC', revenueEvent: 'Charged', revenueProperty: 'Amount' },
      ),
    );
    expect((await days(projectId)).map((row) => [row.profile_id, row.day, row.events])).toEqual([
      [survivor, '2026-05-01', 1],
      [survivor, '2026-05-02', 2],
      [survivor, '2026-05-03', 1],
    ]);
  });

  it('folds a backlog of 100 messages in one consumer batch (bigger folds write fewer rows per event)', async () => {
    const projectId = randomUUID();
    const [ada] = await newKnownProfiles(sut, projectId, 1);
    // The project's folds wait while this session holds its settings lock (they take it shared): a backlog builds up.
    const hold = db.createQueryRunner();
    await hold.connect();
    await hold.query(`SELECT pg_advisory_lock(${SETTINGS_LOCK})`, [projectId]);
    try {
      // Each call its own EventsIngested message.
      for (let i = 0; i <= 100; i++) await ingest(projectId, [{ profileId: ada, timestamp: new Date('2026-06-01T10:00:00Z') }]);
      await sut.flushOutbox();
      const consumer = () => sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('events'), ANALYTICS_EVENTS_DURABLE);
      await eventually(async () => ((info) => info.num_pending + info.num_ack_pending)(await consumer()) === 101);
      // Delivered to the consumer: one batch waiting on the lock, the rest buffered (a consumer that buffers fewer leaves some in the stream).
      await eventually(async () => (await consumer()).num_pending === 0, { timeoutMs: 3_000 }).catch(() => undefined);
    } finally {
      await hold.query(`SELECT pg_advisory_unlock(${SETTINGS_LOCK})`, [projectId]);
      await hold.release();
    }
    await settled();
    // A batch's inbox rows are written by its one transaction (its parts' rows are dropped): distinct xmins are the batches.
    const [{ messages, batches }] = (await db.query(
      `SELECT count(*)::int AS messages, count(DISTINCT xmin::text)::int AS batches FROM "${sut.schema}".inbox WHERE consumer = $1 AND project_id = $2`,
      [ANALYTICS_EVENTS_DURABLE, projectId],
    )) as [{ messages: number; batches: number }];
    // The batch that waited on the lock, then the rest at once (ROLLUP_BATCH_MESSAGES of 50 took three or more).
    expect(messages).toBe(101);
    expect(batches).toBeLessThanOrEqual(2);
    expect(await days(projectId)).toEqual([{ profile_id: ada, day: '2026-06-01', events: 101, revenue: '0' }]);
  });

  it('backfills events received before the watermark once, partition by partition, and the rollups equal a recomputation from the events', async () => {
    const projectId = randomUUID();
    const [ada, bo] = await newKnownProfiles(sut, projectId, 2);
    const [{ watermark }] = (await db.query(`SELECT watermark FROM "${sut.schema}".analytics_backfill`)) as [{ watermark: Date }];
    // Events received an hour before the rollups began (UUIDv7 ids of that time), stored as ingest stores them.
    const before = uuidV7Floor(watermark.getTime() - 3_600_000).slice(0, 24);
    const rows = [
      [ada, '2026-01-10T10:00:00Z', 'Charged', { Amount: '2.25' }],
      [ada, '2026-01-10T11:00:00Z', 'Viewed', {}],
      [bo, '2026-03-10T11:00:00Z', 'Viewed', {}],
      [bo, '2025-12-31T23:59:59Z', 'Viewed', {}],
    ] as const;
    for (const [index, [profileId, timestamp, name, properties]] of rows.entries()) {
      await db.query(
        `INSERT INTO "${sut.schema}".event (id, project_id, profile_id, message_id, type, name, properties, "timestamp", received_at)
         VALUES ($1, $2, $3, $4, 'track', $5, $6, $7, $8)`,
        [`${before}${String(index).padStart(12, '0')}`, projectId, profileId, randomUUID(), name, properties, timestamp, new Date(watermark.getTime() - 3_600_000)],
      );
    }
    // And one received now, which the consumer folds in (the backfill must not add it again).
    await ingest(projectId, [{ profileId: ada, timestamp: new Date('2026-01-10T12:00:00Z') }]);
    await settled();
    const report = await sut.app.get(RollupBackfill).run({ settleMs: 0 });
    expect(report.events).toBeGreaterThanOrEqual(rows.length);
    expect(await days(projectId)).toEqual(
      [
        { profile_id: ada, day: '2026-01-10', events: 3, revenue: '2.25' },
        { profile_id: bo, day: '2025-12-31', events: 1, revenue: '0' },
        { profile_id: bo, day: '2026-03-10', events: 1, revenue: '0' },
      ].sort((a, b) => a.profile_id.localeCompare(b.profile_id) || a.day.localeCompare(b.day)),
    );
    // Resumed (or started again elsewhere): nothing left to do.
    expect(await sut.app.get(RollupBackfill).run({ settleMs: 0 })).toMatchObject({ partitions: 0, events: 0 });

    // Every project of this spec: profile_day equals a recomputation from the linked events (UTC projects).
    const differences = (await db.query(
      `WITH utc AS (SELECT project_id FROM "${sut.schema}".profile_day EXCEPT SELECT project_id FROM "${sut.schema}".analytics_settings WHERE time_zone <> 'UTC'),
       expected AS (
         SELECT project_id, profile_id, ("timestamp" AT TIME ZONE 'UTC')::date AS day, count(*)::int AS events
         FROM "${sut.schema}".event WHERE profile_id IS NOT NULL AND project_id IN (SELECT project_id FROM utc) AND name <> 'Late' GROUP BY 1, 2, 3
       ), actual AS (
         SELECT project_id, profile_id, day, events FROM "${sut.schema}".profile_day WHERE project_id IN (SELECT project_id FROM utc) AND day <> '2026-05-03'
       )
       (SELECT 'missing' AS side, * FROM expected EXCEPT SELECT 'missing', * FROM actual)
       UNION ALL (SELECT 'extra', * FROM actual EXCEPT SELECT 'extra', * FROM expected)`,
    )) as unknown[];
    expect(differences).toEqual([]);
  });
});
