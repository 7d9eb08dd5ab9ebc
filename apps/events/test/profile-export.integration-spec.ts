import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { EventPartitionManager } from '../src/partitions/event-partition.manager.js';
import { ensureMonthPartition, monthStart } from '../src/partitions/event-partitions.js';
import { ingestCommand, publishableKeyCaller, secretKeyCaller, startEventsSubgraph } from './support.js';

const EXPORT = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ProfileExport { profileId events } } }`;
const EVENT_KEYS = ['id', 'profileId', 'messageId', 'type', 'name', 'userId', 'anonymousId', 'properties', 'context', 'timestamp', 'sentAt', 'receivedAt'];

/** Mid-month, `offset` months from now. */
const midMonth = (offset: number, hours = 0) => new Date(monthStart(new Date(), offset).getTime() + (14 * 24 + hours) * 3600 * 1000);

describe('events: the profile’s events in the GDPR export', () => {
  let sut: TestSubgraph;
  let db: DataSource;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
  });
  afterAll(() => sut?.close());

  const ingest = (projectId: string, events: Partial<IngestEventCommand>[]) =>
    sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));
  const exportOf = async (profileId: string, caller = secretKeyCaller(randomUUID())) =>
    sut.query<{ _entities: { profileId: string; events: Record<string, unknown>[] }[] }>(EXPORT, { r: [{ __typename: 'ProfileExport', profileId }] }, caller);

  it('holds every event of the profile, oldest first, with all its columns: linked or still waiting under its ids, archived months and the default partition included', async () => {
    const [project, other] = [randomUUID(), randomUUID()];
    const [profileId, someoneElse] = [randomUUID(), randomUUID()];
    await db.transaction((manager) => ensureMonthPartition(manager, monthStart(new Date(), -26)));
    const sentAt = midMonth(-26, 2);
    await ingest(project, [
      // Waiting under the profile's user id when its month was archived: linking never reaches archives.
      { name: 'Archived Visit', userId: 'u-export', timestamp: midMonth(-26) },
      { name: 'Archived Purchase', profileId, properties: { total: 9 }, context: { locale: 'pt-PT' }, timestamp: midMonth(-26, 1), sentAt },
      { name: 'Not Theirs', profileId: someoneElse, timestamp: midMonth(-26, 3) },
      // Older than every partition: in the DEFAULT one.
      { name: 'Long Ago', profileId, timestamp: midMonth(-60) },
    ]);
    expect(await sut.app.get(EventPartitionManager).detachOlderThan(monthStart(new Date(), -25))).toHaveLength(1);
    await db.query(`INSERT INTO profile_link (project_id, kind, value, profile_id) VALUES ($1, 'user_id', 'u-export', $2), ($1, 'anonymous_id', 'a-export', $2)`, [
      project,
      profileId,
    ]);
    const now = Date.now();
    await ingest(project, [
      { name: 'Signed In', type: 'identify', profileId, userId: 'u-export', timestamp: new Date(now - 60_000) },
      { name: 'Viewed', anonymousId: 'a-export', timestamp: new Date(now) },
      { name: 'Stranger', userId: 'u-stranger', timestamp: new Date(now) },
    ]);
    await ingest(other, [{ name: 'Elsewhere', profileId, timestamp: new Date(now) }]);

    const result = await exportOf(profileId, secretKeyCaller(project));
    expect(result.errors).toBeUndefined();
    const [exported] = result.data!._entities;
    expect(exported!.profileId).toBe(profileId);
    expect(exported!.events.map((event) => event.name)).toEqual(['Long Ago', 'Archived Visit', 'Archived Purchase', 'Signed In', 'Viewed']);
    for (const event of exported!.events) expect(Object.keys(event).sort()).toEqual([...EVENT_KEYS].sort());
    expect(exported!.events[2]).toEqual({
      id: expect.any(String),
      profileId,
      messageId: expect.any(String),
      type: 'track',
      name: 'Archived Purchase',
      userId: null,
      anonymousId: null,
      properties: { total: 9 },
      context: { locale: 'pt-PT' },
      timestamp: midMonth(-26, 1).toISOString(),
      sentAt: sentAt.toISOString(),
      receivedAt: expect.any(String),
    });
    expect(exported!.events[1]).toMatchObject({ profileId: null, userId: 'u-export' });

    // Scoped to the caller's project.
    const elsewhere = await exportOf(profileId, secretKeyCaller(other));
    expect(elsewhere.data!._entities[0]!.events.map((event) => event.name)).toEqual(['Elsewhere']);
    expect((await exportOf(randomUUID(), secretKeyCaller(project))).data!._entities[0]!.events).toEqual([]);
  });

  it('is refused to publishable keys', async () => {
    const project = randomUUID();
    const profileId = randomUUID();
    await ingest(project, [{ name: 'Private', profileId }]);
    const result = await exportOf(profileId, publishableKeyCaller(project));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    expect(JSON.stringify(result)).not.toContain('Private');
  });
});
