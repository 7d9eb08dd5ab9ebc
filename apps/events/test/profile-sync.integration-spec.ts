import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { ProfileDeleted, ProfileIdentified, ProfileMerged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, type TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ProfileLinkRepair } from '../src/profile-sync/profile-link-repair.js';
import { ProfileLinks } from '../src/profile-sync/profile-links.js';
import { ingestCommand, startEventsSubgraph } from './support.js';

describe('events follow profiles (identified, merged, deleted)', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const projectId = randomUUID();

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
    // The profiles stream appears after events started: its consumers must wait for it, then attach.
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
  });
  afterAll(() => sut?.close());

  const ingest = (events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));

  const publish = async <C extends MessageContract>(contract: C, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
    sut.messaging.js.publish(
      sut.messaging.subjects.subject(contract, projectId),
      JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }),
      { msgID: randomUUID() },
    );

  const profileOf = async (anonymousId: string): Promise<(string | null)[]> =>
    (await db.query(`SELECT profile_id FROM "${sut.schema}".event WHERE project_id = $1 AND anonymous_id = $2`, [projectId, anonymousId])).map(
      (row: { profile_id: string | null }) => row.profile_id,
    );

  it('attaches waiting events when a profile is identified, and new events at ingest', async () => {
    const profileId = randomUUID();
    await ingest([{ anonymousId: 'anon-1' }, { anonymousId: 'anon-1', name: 'Added to Cart' }]);
    expect(await profileOf('anon-1')).toEqual([null, null]);
    await publish(ProfileIdentified, { profileId, userId: 'user-1', anonymousIds: ['anon-1'] });
    await eventually(async () => (await profileOf('anon-1')).every((owner) => owner === profileId));
    await ingest([{ userId: 'user-1', anonymousId: 'anon-2' }]);
    const [row] = await db.query(`SELECT profile_id FROM "${sut.schema}".event WHERE project_id = $1 AND anonymous_id = 'anon-2'`, [projectId]);
    expect(row.profile_id).toBe(profileId);
  });

  it('moves a merged profile’s events to the survivor', async () => {
    const survivor = randomUUID();
    const merged = randomUUID();
    await publish(ProfileIdentified, { profileId: merged, userId: null, anonymousIds: ['anon-merge'] });
    // The link must be recorded first: this ingest is to be attached at ingest time.
    await eventually(async () => (await db.query(`SELECT 1 FROM "${sut.schema}".profile_link WHERE project_id = $1 AND value = 'anon-merge'`, [projectId])).length === 1);
    await ingest([{ anonymousId: 'anon-merge' }]);
    expect(await profileOf('anon-merge')).toEqual([merged]);
    await publish(ProfileMerged, { profileId: survivor, mergedProfileId: merged });
    await eventually(async () => (await profileOf('anon-merge'))[0] === survivor);
    await ingest([{ anonymousId: 'anon-merge', name: 'After merge' }]);
    expect(await profileOf('anon-merge')).toEqual([survivor, survivor]);
  });

  it('deletes an erased profile’s events and their dedupe keys', async () => {
    const erased = randomUUID();
    await publish(ProfileIdentified, { profileId: erased, userId: 'user-erase', anonymousIds: ['anon-erase'] });
    await eventually(async () => (await db.query(`SELECT 1 FROM "${sut.schema}".profile_link WHERE profile_id = $1`, [erased])).length === 2);
    await ingest([{ userId: 'user-erase' }, { anonymousId: 'anon-erase' }]);
    await publish(ProfileDeleted, { profileId: erased });
    await eventually(async () => {
      const [{ count }] = await db.query(
        `SELECT count(*)::int AS count FROM "${sut.schema}".event WHERE project_id = $1 AND (profile_id = $2 OR user_id = 'user-erase' OR anonymous_id = 'anon-erase')`,
        [projectId, erased],
      );
      return count === 0;
    });
    const [{ orphans }] = await db.query(
      `SELECT count(*)::int AS orphans FROM "${sut.schema}".event_message_id m
       WHERE m.project_id = $1 AND NOT EXISTS (SELECT 1 FROM "${sut.schema}".event e WHERE e.id = m.event_id)`,
      [projectId],
    );
    expect(orphans).toBe(0);
  });

  // Ingest reads the links through a cache of its instance's, which holds absences too; it learns
  // of every link write from the project's links version, so a write by any instance's consumer
  // (here: straight through ProfileLinks, as another instance would) is seen by the next ingest.
  describe('the links cache', () => {
    const ownerOf = async (identity: Partial<IngestEventCommand>) => {
      const { eventIds } = await ingest([identity]);
      const [row] = await db.query(`SELECT profile_id FROM "${sut.schema}".event WHERE id = $1`, [eventIds[0]]);
      return row.profile_id as string | null;
    };
    const write = (change: (links: ProfileLinks, manager: EntityManager) => Promise<unknown>) => db.transaction((manager) => change(sut.app.get(ProfileLinks), manager));

    it('ends a cached absence when the identity is linked, and follows merges and erasures', async () => {
      const first = randomUUID();
      const survivor = randomUUID();
      expect(await ownerOf({ anonymousId: 'anon-cached' })).toBeNull();
      expect(await ownerOf({ anonymousId: 'anon-cached' })).toBeNull();
      await write((links, manager) => links.link(manager, projectId, first, 'user-cached', ['anon-cached']));
      expect(await ownerOf({ anonymousId: 'anon-cached' })).toBe(first);
      expect(await ownerOf({ userId: 'user-cached' })).toBe(first);
      await write((links, manager) => links.merge(manager, projectId, survivor, first));
      expect(await ownerOf({ anonymousId: 'anon-cached' })).toBe(survivor);
      expect(await ownerOf({ userId: 'user-cached', anonymousId: 'anon-other' })).toBe(survivor);
      await write((links, manager) => links.erase(manager, projectId, survivor));
      expect(await ownerOf({ anonymousId: 'anon-cached' })).toBeNull();
      expect(await ownerOf({ userId: 'user-cached' })).toBeNull();
    });

    it('stays under its size limit, least recently used projects first, and answers alike after evicting', async () => {
      const links = sut.app.get(ProfileLinks);
      const other = randomUUID();
      const profileId = randomUUID();
      await write((l, manager) => l.link(manager, projectId, profileId, 'user-evicted', []));
      const limit = links.maxCachedIdentities;
      try {
        expect(await ownerOf({ userId: 'user-evicted' })).toBe(profileId);
        links.maxCachedIdentities = links.cachedIdentities + 2;
        // Another project's identities need the room: this project's cache goes.
        await sut.app.get(IngestEvents).execute(other, [1, 2, 3].map((n) => ingestCommand({ anonymousId: `other-${n}` })));
        expect(links.cachedIdentities).toBeLessThanOrEqual(links.maxCachedIdentities);
        expect(await ownerOf({ userId: 'user-evicted' })).toBe(profileId);
        expect(links.cachedIdentities).toBeLessThanOrEqual(links.maxCachedIdentities);
      } finally {
        links.maxCachedIdentities = limit;
      }
    });

    it('answers concurrent ingests of a project alike while links change under them', async () => {
      const profileId = randomUUID();
      const identities = Array.from({ length: 40 }, (_, n) => ({ anonymousId: `anon-race-${n}` }));
      const linking = write((links, manager) => links.link(manager, projectId, profileId, null, identities.map((identity) => identity.anonymousId)));
      await Promise.all([...identities.map((identity) => ingest([identity])), linking]);
      // Whatever each ingest saw, the cache holds no stale absence once the write has committed.
      for (const identity of identities) expect(await ownerOf(identity)).toBe(profileId);
    });
  });

  it('attaches, on the repair after next, events that raced their identity’s first link (user id first)', async () => {
    const repair = sut.app.get(ProfileLinkRepair);
    // The test drives the runs itself: the timer's stop.
    repair.onApplicationShutdown();
    const { eventIds } = await ingest([{ anonymousId: 'anon-raced' }, { userId: 'user-raced', anonymousId: 'anon-raced-2' }]);
    const userProfile = randomUUID();
    const anonymousProfile = randomUUID();
    // What a link whose attaching UPDATE ran before those events committed leaves: links, events still waiting.
    await db.transaction(async (manager) => {
      const [{ version }] = await manager.query(
        `INSERT INTO profile_link_version AS v (project_id, version) VALUES ($1, 1)
         ON CONFLICT (project_id) DO UPDATE SET version = v.version + 1 RETURNING version`,
        [projectId],
      );
      await manager.query(
        `INSERT INTO profile_link (project_id, kind, value, profile_id, version) VALUES
           ($1, 'anonymous_id', 'anon-raced', $3, $2), ($1, 'user_id', 'user-raced', $4, $2), ($1, 'anonymous_id', 'anon-raced-2', $3, $2)`,
        [projectId, version, anonymousProfile, userProfile],
      );
    });
    const owners = async () =>
      (await db.query(`SELECT id, profile_id FROM "${sut.schema}".event WHERE id = ANY($1::uuid[])`, [eventIds])).map(
        (row: { id: string; profile_id: string | null }) => [row.id, row.profile_id],
      );
    await repair.run();
    expect(new Map(await owners())).toEqual(new Map([[eventIds[0], null], [eventIds[1], null]]));
    expect(await repair.run()).toBeGreaterThanOrEqual(2);
    expect(new Map(await owners())).toEqual(new Map([[eventIds[0], anonymousProfile], [eventIds[1], userProfile]]));
    expect(await repair.run()).toBe(0);
  });
});
