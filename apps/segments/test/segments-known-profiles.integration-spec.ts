import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ProfileCreated, ProfileDeleted, ProfileMerged } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import {
  consumedUpTo,
  createTestMessaging,
  eventually,
  publishMessage,
  secretKeyCaller,
  serveProfileIds,
  startTestSubgraph,
  uniqueSubjectPrefix,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { PROFILE_CREATED_DURABLE, PROFILE_DELETED_DURABLE, PROFILE_MERGED_DURABLE } from '../src/segments/segment-profile-sync.js';

const CREATE = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }`;
const ADD = `mutation($s: ID!, $p: [ID!]!) { addSegmentMembers(segmentId: $s, profileIds: $p) { id size } }`;

/** Members are known profiles: segments follows profiles' announcements, and fills its projection once from profiles. */
describe('segments: only profiles that exist become members', () => {
  let messaging: TestMessaging;
  let sut: TestSubgraph;
  let db: DataSource;
  let existingBefore: { projectId: string; profileId: string }[];
  const backfilledProject = randomUUID();

  beforeAll(async () => {
    const prefix = uniqueSubjectPrefix();
    messaging = await createTestMessaging(prefix);
    await messaging.jsm.streams.add(domainStreamConfig(messaging.subjects, 'profiles'));
    // Profiles that existed before segments followed profiles: the backfill brings them, three pages of two.
    existingBefore = serveProfileIds(messaging, 2);
    existingBefore.push(...Array.from({ length: 5 }, () => ({ projectId: backfilledProject, profileId: randomUUID() })));
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments', prefix });
    db = sut.app.get(DataSource);
  });
  afterAll(async () => {
    await sut?.close();
    await messaging?.cleanup();
  });

  const createSegment = async (projectId: string) => {
    const result = await sut.query<{ createSegment: { id: string } }>(CREATE, { input: { name: 'Imported', kind: 'STATIC' } }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.createSegment.id;
  };
  const add = (projectId: string, segmentId: string, profileIds: string[]) =>
    sut.query<{ addSegmentMembers: { size: number } }>(ADD, { s: segmentId, p: profileIds }, secretKeyCaller(projectId));
  const membersOf = async (segmentId: string) =>
    ((await db.query(`SELECT profile_id FROM "${sut.schema}".segment_membership WHERE segment_id = $1`, [segmentId])) as { profile_id: string }[]).map(
      (row) => row.profile_id,
    );
  /** Publishes ProfileCreated for new ids and waits until segments has taken them in. */
  const createdProfiles = async (projectId: string, count: number) => {
    const ids = Array.from({ length: count }, () => randomUUID());
    for (const profileId of ids) {
      await consumedUpTo(messaging, 'profiles', PROFILE_CREATED_DURABLE, await publishMessage(messaging, ProfileCreated, projectId, { profileId, externalId: null }));
    }
    return ids;
  };

  it('adds profiles announced by ProfileCreated', async () => {
    const project = randomUUID();
    const profiles = await createdProfiles(project, 2);
    const segment = await createSegment(project);
    const added = await add(project, segment, profiles);
    expect(added.errors).toBeUndefined();
    expect(added.data!.addSegmentMembers.size).toBe(2);
  });

  it('refuses an unknown id with NOT_FOUND naming it and its position, and stores none of the request', async () => {
    const project = randomUUID();
    const [known] = await createdProfiles(project, 1);
    const [unknown, alsoUnknown] = [randomUUID(), randomUUID()];
    const segment = await createSegment(project);
    const refused = await add(project, segment, [known, unknown, alsoUnknown]);
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'PROFILE_NOT_FOUND', field: 'profileIds[1]' });
    expect(refused.errors?.[0]?.message).toContain(unknown);
    expect(refused.errors?.[0]?.message).toMatch(/not yet known.*retry shortly/);
    expect(refused.errors?.[0]?.message).toContain('1 more of the profile ids given are unknown too');
    expect(await membersOf(segment)).toEqual([]);
  });

  it("refuses another project's profile", async () => {
    const [project, other] = [randomUUID(), randomUUID()];
    const [theirs] = await createdProfiles(other, 1);
    const segment = await createSegment(project);
    const refused = await add(project, segment, [theirs]);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'profileIds[0]' });
    expect(await membersOf(segment)).toEqual([]);
  });

  it('refuses a merged profile (not as an alias of the survivor) and an erased one, even when their ProfileCreated comes again later', async () => {
    const project = randomUUID();
    const [survivor, merged, erased] = await createdProfiles(project, 3);
    await consumedUpTo(messaging, 'profiles', PROFILE_MERGED_DURABLE, await publishMessage(messaging, ProfileMerged, project, { profileId: survivor, mergedProfileId: merged }));
    await consumedUpTo(messaging, 'profiles', PROFILE_DELETED_DURABLE, await publishMessage(messaging, ProfileDeleted, project, { profileId: erased }));
    // A ProfileCreated handled after the erasure (another consumer, a redelivery) does not bring the id back.
    await consumedUpTo(messaging, 'profiles', PROFILE_CREATED_DURABLE, await publishMessage(messaging, ProfileCreated, project, { profileId: erased, externalId: null }));

    const segment = await createSegment(project);
    const mergedRefused = await add(project, segment, [merged]);
    expect(mergedRefused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'profileIds[0]' });
    const erasedRefused = await add(project, segment, [survivor, erased]);
    expect(erasedRefused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'profileIds[1]' });
    expect(erasedRefused.errors?.[0]?.message).toContain(erased);
    expect(await membersOf(segment)).toEqual([]);
    expect((await add(project, segment, [survivor])).data!.addSegmentMembers.size).toBe(1);
  });

  it('fills a new projection once from profiles, page by page, and leaves ProfileCreated older than the projection to that backfill', async () => {
    const state = await eventually(async () => {
      const [row] = (await db.query(`SELECT after_profile_id, completed_at FROM "${sut.schema}".known_profile_backfill`)) as { completed_at: Date | null }[];
      return row?.completed_at ? row : null;
    });
    expect(state).toMatchObject({ after_profile_id: null });
    const segment = await createSegment(backfilledProject);
    const added = await add(backfilledProject, segment, existingBefore.map((profile) => profile.profileId));
    expect(added.errors).toBeUndefined();
    expect(added.data!.addSegmentMembers.size).toBe(5);

    // Replayed from the stream, an announcement from before the projection began may name a profile erased since: ignored.
    const old = randomUUID();
    const ack = await publishMessage(messaging, ProfileCreated, backfilledProject, { profileId: old, externalId: null }, { occurredAt: new Date(Date.now() - 3_600_000) });
    await consumedUpTo(messaging, 'profiles', PROFILE_CREATED_DURABLE, ack);
    expect((await add(backfilledProject, segment, [old])).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
  });
});
