import { randomUUID } from 'node:crypto';
import type { PubAck } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { ProfileDeleted, ProfileMerged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, publishableKeyCaller, secretKeyCaller, seedKnownProfiles, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { PROFILE_DELETED_DURABLE, PROFILE_MERGED_DURABLE } from '../src/segments/segment-profile-sync.js';

const CREATE = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }`;
const ADD = `mutation($s: ID!, $p: [ID!]!) { addSegmentMembers(segmentId: $s, profileIds: $p) { id } }`;
const SIZE = `query($id: ID!) { segment(id: $id) { size } }`;

interface MembershipRow {
  segment_id: string;
  /** As PostgreSQL prints it: to the microsecond, which a Date would round away. */
  added_at: string;
}

/** Memberships follow profiles: erasure removes them, merges move them to the survivor. */
describe('segments: profile erasure and merges', () => {
  let sut: TestSubgraph;
  let db: DataSource;

  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments' });
    db = sut.app.get(DataSource);
    // The profiles stream appears after segments started, as its owner would declare it; a short
    // duplicate window lets the inbox test redeliver a message id that JetStream would otherwise drop.
    await sut.messaging.jsm.streams.add({ ...domainStreamConfig(sut.messaging.subjects, 'profiles'), duplicate_window: nanos(200) });
  });
  afterAll(() => sut?.close());

  const durableOf = (contract: MessageContract) => (contract === ProfileDeleted ? PROFILE_DELETED_DURABLE : PROFILE_MERGED_DURABLE);

  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>, msgID = randomUUID()) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), {
      msgID,
    });

  /** The message was delivered to its consumer and acknowledged, i.e. its transaction committed. */
  const handled = (contract: MessageContract, ack: PubAck) =>
    eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('profiles'), durableOf(contract));
      return info.delivered.stream_seq >= ack.seq && info.num_pending === 0 && info.num_ack_pending === 0;
    });

  const createSegment = async (projectId: string, name: string) => {
    const result = await sut.query<{ createSegment: { id: string } }>(CREATE, { input: { name, kind: 'STATIC' } }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.createSegment.id;
  };
  const addMembers = async (projectId: string, segmentId: string, profileIds: string[]) => {
    const result = await sut.query(ADD, { s: segmentId, p: profileIds }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
  };
  const sizeOf = async (projectId: string, segmentId: string) => {
    const result = await sut.query<{ segment: { size: number } }>(SIZE, { id: segmentId }, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!.segment.size;
  };
  const membershipsOf = (projectId: string, profileId: string): Promise<MembershipRow[]> =>
    db.query(`SELECT segment_id, added_at::text FROM "${sut.schema}".segment_membership WHERE project_id = $1 AND profile_id = $2 ORDER BY segment_id`, [
      projectId,
      profileId,
    ]);
  const joinedAt = async (projectId: string, profileId: string) =>
    Object.fromEntries((await membershipsOf(projectId, profileId)).map((row) => [row.segment_id, row.added_at]));
  const segmentsOf = async (projectId: string, profileId: string) => (await membershipsOf(projectId, profileId)).map((row) => row.segment_id).sort();

  it("adds the profile's memberships of its project to the GDPR export, for secret keys only", async () => {
    const [project, otherProject] = [randomUUID(), randomUUID()];
    const [profileId] = await newKnownProfiles(sut, project, 1);
    await seedKnownProfiles(sut, otherProject, [profileId]);
    const first = await createSegment(project, 'Early');
    const second = await createSegment(project, 'Late');
    await createSegment(project, 'Not a member');
    await addMembers(project, first, [profileId]);
    await addMembers(project, second, [profileId]);
    await addMembers(otherProject, await createSegment(otherProject, 'Other project'), [profileId]);
    const EXPORT = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ProfileExport { profileId segments } } }`;
    const representations = { r: [{ __typename: 'ProfileExport', profileId }] };
    const exported = await sut.query<{ _entities: { profileId: string; segments: { segmentId: string; name: string; kind: string; addedAt: string }[] }[] }>(
      EXPORT,
      representations,
      secretKeyCaller(project),
    );
    expect(exported.errors).toBeUndefined();
    const { segments } = exported.data!._entities[0]!;
    expect(segments.map(({ segmentId, name, kind }) => ({ segmentId, name, kind }))).toEqual([
      { segmentId: first, name: 'Early', kind: 'STATIC' },
      { segmentId: second, name: 'Late', kind: 'STATIC' },
    ]);
    expect(segments.every(({ addedAt }) => !Number.isNaN(Date.parse(addedAt)))).toBe(true);
    const refused = await sut.query(EXPORT, representations, publishableKeyCaller(project));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps no index of memberships by profile (each new segment would pay for it): a profile’s are found through its project’s segments', async () => {
    const indexes = (await db.query(`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'segment_membership'`)) as { indexname: string }[];
    expect(indexes.map((row) => row.indexname)).toEqual(['segment_membership_pkey']);
  });

  it('removes an erased profile from every segment of its project, and nowhere else', async () => {
    const [project, otherProject] = [randomUUID(), randomUUID()];
    const [erased, kept] = await newKnownProfiles(sut, project, 2);
    await seedKnownProfiles(sut, otherProject, [erased]);
    const both = await createSegment(project, 'Both');
    const alone = await createSegment(project, 'Alone');
    const elsewhere = await createSegment(otherProject, 'Other project');
    await addMembers(project, both, [erased, kept]);
    await addMembers(project, alone, [erased]);
    await addMembers(otherProject, elsewhere, [erased]);

    await handled(ProfileDeleted, await publish(ProfileDeleted, project, { profileId: erased }));

    expect(await membershipsOf(project, erased)).toEqual([]);
    expect([await sizeOf(project, both), await sizeOf(project, alone)]).toEqual([1, 0]);
    expect(await segmentsOf(project, kept)).toEqual([both]);
    expect(await segmentsOf(otherProject, erased)).toEqual([elsewhere]);
    expect(await sizeOf(otherProject, elsewhere)).toBe(1);
  });

  it('moves a merged profile’s memberships to the survivor, one row per segment with the earlier joined-at', async () => {
    const [project, otherProject] = [randomUUID(), randomUUID()];
    const [survivor, merged] = await newKnownProfiles(sut, project, 2);
    await seedKnownProfiles(sut, otherProject, [merged]);
    const [mergedFirst, survivorFirst, onlyMerged, onlySurvivor] = [
      await createSegment(project, 'Merged joined first'),
      await createSegment(project, 'Survivor joined first'),
      await createSegment(project, 'Only merged'),
      await createSegment(project, 'Only survivor'),
    ];
    const elsewhere = await createSegment(otherProject, 'Other project');
    // Each call is its own transaction, so each membership gets a later added_at than the one before.
    await addMembers(project, mergedFirst, [merged]);
    await addMembers(project, survivorFirst, [survivor]);
    await addMembers(project, mergedFirst, [survivor]);
    await addMembers(project, survivorFirst, [merged]);
    await addMembers(project, onlyMerged, [merged]);
    await addMembers(project, onlySurvivor, [survivor]);
    await addMembers(otherProject, elsewhere, [merged]);
    const [mergedBefore, survivorBefore] = [await joinedAt(project, merged), await joinedAt(project, survivor)];
    expect(mergedBefore[mergedFirst]).not.toBe(survivorBefore[mergedFirst]);

    await handled(ProfileMerged, await publish(ProfileMerged, project, { profileId: survivor, mergedProfileId: merged }));

    expect(await membershipsOf(project, merged)).toEqual([]);
    expect(await membershipsOf(project, survivor)).toHaveLength(4);
    expect(await joinedAt(project, survivor)).toEqual({
      [mergedFirst]: mergedBefore[mergedFirst],
      [survivorFirst]: survivorBefore[survivorFirst],
      [onlyMerged]: mergedBefore[onlyMerged],
      [onlySurvivor]: survivorBefore[onlySurvivor],
    });
    expect(await Promise.all([mergedFirst, survivorFirst, onlyMerged, onlySurvivor].map((id) => sizeOf(project, id)))).toEqual([1, 1, 1, 1]);
    expect(await segmentsOf(otherProject, merged)).toEqual([elsewhere]);
  });

  it.each([
    ['ProfileDeleted', ProfileDeleted],
    ['ProfileMerged', ProfileMerged],
  ] as const)('handles a redelivered %s message id once (inbox)', async (_name, contract) => {
    const project = randomUUID();
    const [profile, survivor] = await newKnownProfiles(sut, project, 2);
    const segment = await createSegment(project, 'Rejoined');
    await addMembers(project, segment, [profile]);
    const body = contract === ProfileDeleted ? { profileId: profile } : { profileId: survivor, mergedProfileId: profile };
    const messageId = randomUUID();
    await handled(contract, await publish(contract, project, body, messageId));
    expect(await membershipsOf(project, profile)).toEqual([]);

    // The profile id is back in the segment (written directly: the API now refuses the id); a second run of the same message would take it out again.
    await db.query(`INSERT INTO "${sut.schema}".segment_membership (project_id, segment_id, profile_id) VALUES ($1, $2, $3)`, [project, segment, profile]);
    await new Promise((resolve) => setTimeout(resolve, 400)); // past the stream's duplicate window
    const again = await publish(contract, project, body, messageId);
    expect(again.duplicate).toBe(false);
    await handled(contract, again);

    expect(await segmentsOf(project, profile)).toEqual([segment]);
    const inbox = await db.query(`SELECT 1 FROM "${sut.schema}".inbox WHERE consumer = $1 AND message_id = $2`, [durableOf(contract), messageId]);
    expect(inbox).toHaveLength(1);
  });
});
