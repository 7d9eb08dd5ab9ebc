import { randomUUID } from 'node:crypto';
import { ProfileCreated, ProfileDeleted, ProfileMerged } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import {
  consumedUpTo,
  createTestMessaging,
  publishMessage,
  secretKeyCaller,
  startTestSubgraph,
  uniqueSubjectPrefix,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { PROFILE_CREATED_DURABLE } from '../src/profile-sync/profile-sync.consumers.js';
import { publishedEvents } from './support.js';

const TRACK = `mutation($input: TrackEventInput!) { track(input: $input) { id } }`;
const INGEST = `mutation($input: IngestBatchInput!) { ingestEvents(input: $input) { accepted } }`;

/** Events name only profiles that exist: events follows profiles' announcements. */
describe('events: a profileId must name a known profile', () => {
  let messaging: TestMessaging;
  let sut: TestSubgraph;

  beforeAll(async () => {
    const prefix = uniqueSubjectPrefix();
    messaging = await createTestMessaging(prefix);
    await messaging.jsm.streams.add(domainStreamConfig(messaging.subjects, 'profiles'));
    process.env.INGEST_PORT = '0';
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'events', prefix });
  });
  afterAll(async () => {
    await sut?.close();
    await messaging?.cleanup();
    delete process.env.INGEST_PORT;
  });

  /** Publishes ProfileCreated for new ids and waits until events has taken them in. */
  const createdProfiles = async (projectId: string, count: number) => {
    const ids = Array.from({ length: count }, () => randomUUID());
    for (const profileId of ids) {
      await consumedUpTo(messaging, 'profiles', PROFILE_CREATED_DURABLE, await publishMessage(messaging, ProfileCreated, projectId, { profileId, externalId: null }));
    }
    return ids;
  };
  const track = (projectId: string, profileId: string) => sut.query<{ track: { id: string } }>(TRACK, { input: { profileId, name: 'Viewed' } }, secretKeyCaller(projectId));
  const storedEvents = async (projectId: string) => {
    const result = await sut.query<{ events: { edges: unknown[] } }>(`{ events(first: 100) { edges { cursor } } }`, {}, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.events.edges.length;
  };

  it('records events of profiles announced by ProfileCreated', async () => {
    const project = randomUUID();
    const [profileId] = await createdProfiles(project, 1);
    const tracked = await track(project, profileId);
    expect(tracked.errors).toBeUndefined();
    expect(await storedEvents(project)).toBe(1);
  });

  it('refuses a random id with NOT_FOUND naming it and input.profileId, and records and publishes nothing', async () => {
    const project = randomUUID();
    const unknown = randomUUID();
    const refused = await track(project, unknown);
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'PROFILE_NOT_FOUND', field: 'input.profileId' });
    expect(refused.errors?.[0]?.message).toContain(unknown);
    expect(refused.errors?.[0]?.message).toMatch(/not yet known.*retry shortly/);
    expect(await storedEvents(project)).toBe(0);
    expect(await publishedEvents(sut, project)).toEqual([]);
  });

  it('refuses a whole batch naming the event whose profileId is unknown', async () => {
    const project = randomUUID();
    const [known] = await createdProfiles(project, 1);
    const unknown = randomUUID();
    const refused = await sut.query(
      INGEST,
      {
        input: {
          events: [
            { type: 'TRACK', profileId: known, name: 'First' },
            { type: 'TRACK', userId: 'user-1', name: 'By user id' },
            { type: 'TRACK', profileId: unknown, name: 'Third' },
          ],
        },
      },
      secretKeyCaller(project),
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.events[2].profileId' });
    expect(refused.errors?.[0]?.message).toContain(unknown);
    expect(await storedEvents(project)).toBe(0);
    expect(await publishedEvents(sut, project)).toEqual([]);
  });

  it("refuses another project's profile", async () => {
    const [project, other] = [randomUUID(), randomUUID()];
    const [theirs] = await createdProfiles(other, 1);
    expect((await track(project, theirs)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.profileId' });
    expect(await storedEvents(project)).toBe(0);
  });

  it('refuses a merged profile (not as an alias of the survivor) and an erased one', async () => {
    const project = randomUUID();
    const [survivor, merged, erased] = await createdProfiles(project, 3);
    await consumedUpTo(messaging, 'profiles', 'events-profile-merged', await publishMessage(messaging, ProfileMerged, project, { profileId: survivor, mergedProfileId: merged }));
    await consumedUpTo(messaging, 'profiles', 'events-profile-deleted', await publishMessage(messaging, ProfileDeleted, project, { profileId: erased }));
    for (const gone of [merged, erased]) {
      expect((await track(project, gone)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.profileId' });
    }
    expect(await storedEvents(project)).toBe(0);
    expect((await track(project, survivor)).errors).toBeUndefined();
  });
});
