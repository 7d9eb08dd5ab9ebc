import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { loadConfig } from '@boomerang/platform/config';
import { silentLogger, type TestSubgraph } from '@boomerang/platform/testing';
import { Clock } from '@boomerang/platform/subgraph';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { EventPartitionManager } from '../src/partitions/event-partition.manager.js';
import { eventRetentionEnv } from '../src/partitions/event-retention-config.js';
import { DEFAULT_PARTITION, ensureMonthPartition, monthStart, partitionName } from '../src/partitions/event-partitions.js';
import { ProfileLinks } from '../src/profile-sync/profile-links.js';
import { ReleaseArchivedMessageIds1763900001300 } from '../src/migrations/1763900001300-release-archived-message-ids.js';
import { ingestCommand, secretKeyCaller, startEventsSubgraph } from './support.js';

const admin = { projectId: null, keyId: null, scope: 'admin' as const };

const DETACH = `mutation($olderThan: DateTime!) { detachEventPartitions(olderThan: $olderThan) }`;
const EVENTS = `{ events(first: 100) { edges { node { name } } } }`;

/** The month `offset` months from now, mid-month (well inside its partition). */
const midMonth = (offset: number) => new Date(monthStart(new Date(), offset).getTime() + 14 * 24 * 3600 * 1000);
const archiveOf = (offset: number) => partitionName(monthStart(new Date(), offset)).replace('event_', 'event_archive_');

describe('event partition retention (detach and archive old months)', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const projectId = randomUUID();

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
  });
  afterAll(() => sut?.close());

  /** Creates the month partitions (offsets from now) and one event in each month named `m<offset>`. */
  const seed = async (offsets: number[], withPartition = true) => {
    if (withPartition) await db.transaction(async (manager) => {
      for (const offset of offsets) await ensureMonthPartition(manager, monthStart(new Date(), offset));
    });
    await sut.app.get(IngestEvents).execute(
      projectId,
      offsets.map((offset) => ({
        messageId: randomUUID(),
        type: 'track',
        name: `m${offset}`,
        profileId: null,
        userId: 'u-1',
        anonymousId: null,
        properties: {},
        traits: null,
        previousId: null,
        context: null,
        timestamp: midMonth(offset),
        sentAt: null,
        receivedAt: new Date(),
      })),
    );
  };

  const visible = async (): Promise<string[]> => {
    const result = await sut.query<{ events: { edges: { node: { name: string } }[] } }>(EVENTS, {}, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.events.edges.map((edge) => edge.node.name).sort();
  };

  const detach = async (olderThan: Date): Promise<string[]> => {
    const result = await sut.query<{ detachEventPartitions: string[] }>(DETACH, { olderThan: olderThan.toISOString() }, admin);
    expect(result.errors).toBeUndefined();
    return result.data!.detachEventPartitions;
  };

  const attached = async (): Promise<string[]> =>
    (
      (await db.query(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('event')`)) as {
        name: string;
      }[]
    ).map((row) => row.name);

  it('detaches months older than the cutoff into archive tables that keep their rows; repeating it detaches nothing', async () => {
    // m-40 has no partition of its own: it lives in the DEFAULT partition.
    await seed([-14, -13, -2, 0]);
    await seed([-40], false);
    expect(await visible()).toEqual(['m-13', 'm-14', 'm-2', 'm-40', 'm0']);

    expect(await detach(monthStart(new Date(), -12))).toEqual([archiveOf(-14), archiveOf(-13)]);
    expect(await visible()).toEqual(['m-2', 'm-40', 'm0']);
    for (const offset of [-14, -13]) {
      const rows = await db.query(`SELECT name FROM "${archiveOf(offset)}" WHERE project_id = $1`, [projectId]);
      expect(rows).toEqual([{ name: `m${offset}` }]);
    }
    expect(await attached()).not.toContain(partitionName(monthStart(new Date(), -14)));

    expect(await detach(monthStart(new Date(), -12))).toEqual([]);
    expect(await visible()).toEqual(['m-2', 'm-40', 'm0']);
  });

  it('never detaches the current month, upcoming months or the DEFAULT partition', async () => {
    expect(await detach(new Date(Date.now() + 400 * 24 * 3600 * 1000))).toEqual([archiveOf(-2)]);
    expect(await visible()).toEqual(['m-40', 'm0']);
    const left = await attached();
    expect(left).toContain(DEFAULT_PARTITION);
    for (const offset of [0, 1, 2, 3]) expect(left).toContain(partitionName(monthStart(new Date(), offset)));
  });

  it('refuses callers other than the admin token', async () => {
    const result = await sut.query(DETACH, { olderThan: new Date().toISOString() }, secretKeyCaller(projectId));
    expect(result.errors?.[0]?.message).toMatch(/not available to a secret caller/);
    expect(await attached()).toContain(partitionName(monthStart(new Date(), 0)));
  });

  it('applies EVENTS_RETENTION_MONTHS: keeps that many full months before the current one', async () => {
    await seed([-4, -1]);
    process.env.EVENTS_RETENTION_MONTHS = '2';
    try {
      const manager = new EventPartitionManager(db, sut.app.get(Clock), silentLogger, loadConfig(eventRetentionEnv));
      expect(await manager.applyRetention()).toEqual([archiveOf(-4)]);
      expect(await manager.applyRetention()).toEqual([]);
    } finally {
      delete process.env.EVENTS_RETENTION_MONTHS;
    }
    expect(await visible()).toEqual(['m-1', 'm-40', 'm0']);
  });

  it('detaches CONCURRENTLY when the table has no DEFAULT partition', async () => {
    await seed([-20]);
    await db.query(`ALTER TABLE event DETACH PARTITION ${DEFAULT_PARTITION}`);
    try {
      const manager = sut.app.get(EventPartitionManager);
      expect(await manager.detachOlderThan(monthStart(new Date(), -19))).toEqual([archiveOf(-20)]);
      const rows = await db.query(`SELECT name FROM "${archiveOf(-20)}" WHERE project_id = $1`, [projectId]);
      expect(rows).toEqual([{ name: 'm-20' }]);
    } finally {
      await db.query(`ALTER TABLE event ATTACH PARTITION ${DEFAULT_PARTITION} DEFAULT`);
    }
    expect(await visible()).toEqual(['m-1', 'm-40', 'm0']);
  });

  it('erases and re-points a profile’s events in archived months too (GDPR erasure reaches archives)', async () => {
    const project = randomUUID();
    const [erased, merged, survivor] = [randomUUID(), randomUUID(), randomUUID()];
    await db.transaction((manager) => ensureMonthPartition(manager, monthStart(new Date(), -30)));
    await db.query(`INSERT INTO profile_link (project_id, kind, value, profile_id) VALUES ($1, 'user_id', 'u-erased', $2)`, [project, erased]);
    const event = (name: string, profileId: string | null, userId: string) => ({
      messageId: randomUUID(), type: 'track' as const, name, profileId, userId, anonymousId: null, properties: { email: 'erase-me@example.com' },
      traits: null, previousId: null, context: null, timestamp: midMonth(-30), sentAt: null, receivedAt: new Date(),
    });
    await sut.app.get(IngestEvents).execute(project, [
      event('linked', erased, 'u-erased'), event('waiting', null, 'u-erased'), event('merged', merged, 'u-merged'), event('other', null, 'u-other'),
    ]);
    const [archive] = await sut.app.get(EventPartitionManager).detachOlderThan(monthStart(new Date(), -29));
    expect(archive).toMatch(/^event_archive_/);
    // The month's messageIds went with it.
    expect(await db.query(`SELECT count(*)::int AS count FROM event_message_id WHERE project_id = $1`, [project])).toEqual([{ count: 0 }]);
    const archived = async () =>
      ((await db.query(`SELECT name, profile_id FROM "${archive}" WHERE project_id = $1 ORDER BY name`, [project])) as { name: string; profile_id: string | null }[]);
    expect((await archived()).map((row) => row.name)).toEqual(['linked', 'merged', 'other', 'waiting']);

    const links = sut.app.get(ProfileLinks);
    expect(await db.transaction((manager) => links.erase(manager, project, erased))).toBe(2);
    await db.transaction((manager) => links.merge(manager, project, survivor, merged));
    expect(await archived()).toEqual([{ name: 'merged', profile_id: survivor }, { name: 'other', profile_id: null }]);
  });

  describe('messageIds of detached months', () => {
    const claims = async (project: string): Promise<string[]> =>
      ((await db.query(`SELECT message_id FROM event_message_id WHERE project_id = $1 ORDER BY message_id`, [project])) as { message_id: string }[]).map(
        (row) => row.message_id,
      );
    const oldEvent = (offset: number, messageId: string, name = 'old') => ingestCommand({ messageId, name, userId: 'u-1', timestamp: midMonth(offset) });
    const TRACK = `mutation($input: TrackEventInput!) { track(input: $input) { id name messageId } }`;

    it('go with it: sent again, they record new events (through the write path and GraphQL track)', async () => {
      const project = randomUUID();
      await db.transaction((manager) => ensureMonthPartition(manager, monthStart(new Date(), -50)));
      await sut.app.get(IngestEvents).execute(project, [oldEvent(-50, 'reused-1'), oldEvent(-50, 'reused-2'), ingestCommand({ messageId: 'kept', userId: 'u-1' })]);
      expect(await sut.app.get(EventPartitionManager).detachOlderThan(monthStart(new Date(), -49))).toEqual([archiveOf(-50)]);
      expect(await claims(project)).toEqual(['kept']);

      const again = await sut.app.get(IngestEvents).execute(project, [ingestCommand({ messageId: 'reused-1', name: 'again', userId: 'u-1' })]);
      expect(again.inserted).toBe(1);
      const tracked = await sut.query<{ track: { name: string; messageId: string } }>(TRACK, { input: { userId: 'u-1', messageId: 'reused-2', name: 'tracked' } }, secretKeyCaller(project));
      expect(tracked.errors).toBeUndefined();
      expect(tracked.data!.track).toMatchObject({ name: 'tracked', messageId: 'reused-2' });
      // The current month's messageId is still a duplicate.
      expect((await sut.app.get(IngestEvents).execute(project, [ingestCommand({ messageId: 'kept', userId: 'u-1' })])).inserted).toBe(0);
      expect(await claims(project)).toEqual(['kept', 'reused-1', 'reused-2']);
      const names = (await db.query(`SELECT name FROM event WHERE project_id = $1`, [project])) as { name: string }[];
      expect(names.map((row) => row.name).sort()).toEqual(['Viewed', 'again', 'tracked']);
    });

    it('go with a month whose detach was interrupted before its rename', async () => {
      const project = randomUUID();
      await db.transaction((manager) => ensureMonthPartition(manager, monthStart(new Date(), -52)));
      await sut.app.get(IngestEvents).execute(project, [oldEvent(-52, 'stray-1')]);
      await db.query(`ALTER TABLE event DETACH PARTITION ${partitionName(monthStart(new Date(), -52))}`);
      expect(await claims(project)).toEqual(['stray-1']);
      expect(await sut.app.get(EventPartitionManager).detachOlderThan(monthStart(new Date(), -60))).toEqual([archiveOf(-52)]);
      expect(await claims(project)).toEqual([]);
    });

    it('are released from months archived before detaching released them (migration)', async () => {
      const project = randomUUID();
      await db.transaction((manager) => ensureMonthPartition(manager, monthStart(new Date(), -54)));
      await sut.app.get(IngestEvents).execute(project, [oldEvent(-54, 'archived-1'), ingestCommand({ messageId: 'current', userId: 'u-1' })]);
      await db.query(`ALTER TABLE event DETACH PARTITION ${partitionName(monthStart(new Date(), -54))}`);
      await db.query(`ALTER TABLE ${partitionName(monthStart(new Date(), -54))} RENAME TO ${archiveOf(-54)}`);
      const runner = db.createQueryRunner();
      try {
        await new ReleaseArchivedMessageIds1763900001300().up(runner);
      } finally {
        await runner.release();
      }
      expect(await claims(project)).toEqual(['current']);
    });
  });
});
