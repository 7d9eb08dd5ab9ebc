import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import { encodeProfileIds, SaveAnalyticsCohort, SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { callRpc } from '@boomerang/platform/messaging';
import { eventually, secretKeyCaller, seedKnownProfiles, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const SEGMENT = `query($id: ID!) { segment(id: $id) { name kind size members(first: 100) { id } } }`;

/** SaveAnalyticsCohort: events' "profiles as a segment" become a STATIC segment, chunk by chunk, each profile entering once. */
describe('segments: analytics cohorts', () => {
  let sut: TestSubgraph;
  let subscription: Subscription;
  const changes: MessageOf<typeof SegmentMembershipChanged>[] = [];

  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments' });
    subscription = sut.messaging.nc.subscribe(sut.messaging.subjects.filter(SegmentMembershipChanged));
    void (async () => {
      for await (const message of subscription) changes.push(message.json());
    })();
  }, 120_000);
  afterAll(async () => {
    subscription?.unsubscribe();
    await sut?.close();
  });

  const save = (body: { projectId: string; cohortId: string; chunk: number; ids: string[]; name?: string }) =>
    callRpc(sut.messaging.nc, sut.messaging.subjects, SaveAnalyticsCohort, {
      projectId: body.projectId,
      cohortId: body.cohortId,
      name: body.name ?? 'Dropped after cart',
      description: 'funnel drop-off',
      chunk: body.chunk,
      profileIds: encodeProfileIds(body.ids),
      count: body.ids.length,
    });

  it('creates the segment with chunk 0, adds later chunks, adds a retried chunk once, refuses unknown cohorts', async () => {
    const projectId = randomUUID();
    const profiles = Array.from({ length: 5 }, () => randomUUID()).sort();
    await seedKnownProfiles(sut, projectId, profiles);
    const cohortId = randomUUID();
    expect(await save({ projectId, cohortId, chunk: 0, ids: profiles.slice(0, 3) })).toEqual({ ok: true, segmentId: cohortId, added: 3 });
    expect(await save({ projectId, cohortId, chunk: 1, ids: profiles.slice(3) })).toEqual({ ok: true, segmentId: cohortId, added: 2 });
    expect(await save({ projectId, cohortId, chunk: 1, ids: profiles.slice(3) })).toEqual({ ok: true, segmentId: cohortId, added: 0 });
    const answer = await sut.query<{ segment: { name: string; kind: string; size: number; members: { id: string }[] } }>(SEGMENT, { id: cohortId }, secretKeyCaller(projectId));
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.segment).toEqual({ name: 'Dropped after cart', kind: 'STATIC', size: 5, members: profiles.map((id) => ({ id })) });
    await eventually(() => changes.filter((change) => change.segmentId === cohortId).length === 5);
    expect(changes.filter((change) => change.segmentId === cohortId).every((change) => change.change === 'entered' && change.cause === 'import')).toBe(true);
    // A later chunk of a cohort never started, and an id of another project's (or another) segment.
    expect(await save({ projectId, cohortId: randomUUID(), chunk: 1, ids: profiles })).toEqual({ ok: false, reason: 'unknown-cohort' });
    expect(await save({ projectId, cohortId, chunk: 0, ids: profiles, name: 'Another name' })).toEqual({ ok: false, reason: 'not-a-cohort' });
    const other = await sut.query(SEGMENT, { id: cohortId }, secretKeyCaller(randomUUID()));
    expect(other.data?.segment ?? null).toBeNull();
  });
});
