import { randomUUID } from 'node:crypto';
import { encodeProfileIds, ListSegmentMembers, ProfileChanged, ProfileDeleted, ProfileMerged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream, serveRpc } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, publishMessage, secretKeyCaller, silentLogger, type TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph, profileSnapshot } from './support.js';

const RETENTION = `query($input: RetentionInput!) { retention(input: $input) {
  cohorts { start size counts } breakdown { value other profiles cohorts { start size counts } } } }`;

type Cohort = { start: string; size: number; counts: number[] };
interface Answer {
  retention: { cohorts: Cohort[]; breakdown: { value: string | null; other: boolean; profiles: number; cohorts: Cohort[] }[] | null };
}

/** Segment, profile-property and event-property filters and breakdowns, on retention, against hand-computed answers. */
describe('analytics filters and breakdowns', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  const segmentId = randomUUID();
  const segmentMembers: string[] = [];
  let p1: string, p2: string, p3: string, p4: string;

  const publish = <C extends MessageContract>(contract: C, project: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) => publishMessage(sut.messaging, contract, project, body);
  const snapshot = profileSnapshot;
  const settled = () => consumersSettled(sut);
  const ingest = (project: string, events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(project, events.map((event) => ingestCommand(event)));
  const at = (day: string) => new Date(`${day}T12:00:00Z`);

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    // Stands in for segments answering ListSegmentMembers: one member per page, so paging is exercised.
    serveRpc(
      sut.messaging.nc,
      sut.messaging.subjects,
      ListSegmentMembers,
      async ({ projectId: project, segmentId: id, after }) => {
        if (project !== projectId || id !== segmentId) return { ok: false as const, reason: 'unknown-segment' as const };
        const sorted = [...segmentMembers].sort();
        const page = sorted.filter((member) => after === null || member > after).slice(0, 1);
        const next = page.length === 1 && page[0] !== sorted[sorted.length - 1] ? page[0]! : null;
        return { ok: true as const, profileIds: encodeProfileIds(page), count: page.length, next, asOf: new Date().toISOString() };
      },
      silentLogger,
    );
    [p1, p2, p3, p4] = (await newKnownProfiles(sut, projectId, 4)) as [string, string, string, string];
    segmentMembers.push(p2, p3);
    await publish(ProfileChanged, projectId, snapshot(p1, { plan: 'pro', country: 'IN' }));
    await publish(ProfileChanged, projectId, snapshot(p2, { plan: 'free' }));
    await publish(ProfileChanged, projectId, snapshot(p3, { plan: 'pro' }));
    // An older snapshot arriving late does not replace the newer one.
    await publish(ProfileChanged, projectId, snapshot(p3, { plan: 'free' }, new Date(Date.now() - 60_000)));
    await ingest(projectId, [
      { profileId: p1, name: 'Install', properties: { source: 'ads' }, timestamp: at('2026-01-05') },
      { profileId: p1, name: 'Open', properties: { screen: 'home' }, timestamp: at('2026-01-06') },
      { profileId: p1, name: 'Open', properties: { screen: 'cart' }, timestamp: at('2026-01-07') },
      { profileId: p2, name: 'Install', properties: { source: 'organic' }, timestamp: at('2026-01-05') },
      { profileId: p2, name: 'Open', properties: { screen: 'home' }, timestamp: at('2026-01-07') },
      { profileId: p3, name: 'Install', properties: { source: 'ads' }, timestamp: at('2026-01-06') },
      { profileId: p3, name: 'Open', properties: { screen: 'cart' }, timestamp: at('2026-01-07') },
      { profileId: p4, name: 'Install', properties: { source: 'ads' }, timestamp: at('2026-01-05') },
      { profileId: p4, name: 'Open', properties: { screen: 'cart' }, timestamp: at('2026-01-06') },
    ]);
    await settled();
  });
  afterAll(() => sut?.close());

  const retention = (input: Record<string, unknown>, project = projectId) => sut.query<Answer>(RETENTION, { input }, secretKeyCaller(project));
  const cohorts = async (input: Record<string, unknown>, project = projectId) => {
    const answer = await retention(input, project);
    expect(answer.errors).toBeUndefined();
    return answer.data!.retention.cohorts.map(({ start, size, counts }) => [start, size, counts]);
  };
  const daily = { interval: 'DAY', intervals: 3, from: '2026-01-05', to: '2026-01-07' };

  it('unfiltered, for reference: 01-05 = p1, p2, p4; 01-06 = p3', async () => {
    expect(await cohorts(daily)).toEqual([
      ['2026-01-05', 3, [3, 2, 2]],
      ['2026-01-06', 1, [1, 1, 0]],
    ]);
  });

  it("a profile property condition (the newest snapshot's), and NOT_EXISTS for a profile without one", async () => {
    expect(await cohorts({ ...daily, filter: { profile: [{ property: 'plan', op: 'EQ', value: 'pro' }] } })).toEqual([
      ['2026-01-05', 1, [1, 1, 1]],
      ['2026-01-06', 1, [1, 1, 0]],
    ]);
    expect(await cohorts({ ...daily, filter: { profile: [{ property: 'plan', op: 'NOT_EXISTS' }] } })).toEqual([
      ['2026-01-05', 1, [1, 1, 0]],
      ['2026-01-06', 0, [0, 0, 0]],
    ]);
  });

  it("a segment's current members (read page by page from segments), with a profile condition too", async () => {
    expect(await cohorts({ ...daily, filter: { segmentId } })).toEqual([
      ['2026-01-05', 1, [1, 0, 1]],
      ['2026-01-06', 1, [1, 1, 0]],
    ]);
    expect(await cohorts({ ...daily, filter: { segmentId, profile: [{ property: 'plan', op: 'IN', values: ['pro'] }] } })).toEqual([
      ['2026-01-05', 0, [0, 0, 0]],
      ['2026-01-06', 1, [1, 1, 0]],
    ]);
  });

  it('event property conditions: only matching events count, on both sides (answered from the raw events)', async () => {
    // First "cart" event: p4 on 01-06, p1 and p3 on 01-07; no cart event after.
    expect(await cohorts({ ...daily, to: '2026-01-08', filter: { event: [{ property: 'screen', op: 'EQ', value: 'cart' }] } })).toEqual([
      ['2026-01-05', 0, [0, 0, 0]],
      ['2026-01-06', 1, [1, 0, 0]],
      ['2026-01-07', 2, [2, 0, 0]],
    ]);
    // A condition every event meets gives the rollups' answer.
    expect(await cohorts({ ...daily, filter: { event: [{ property: 'missing', op: 'NOT_EXISTS' }] } })).toEqual(await cohorts(daily));
  });

  it('broken down by a profile property (largest group first, no value last) and by the start event’s property', async () => {
    const byPlan = await retention({ ...daily, breakdown: { profileProperty: 'plan' } });
    expect(byPlan.errors).toBeUndefined();
    expect(byPlan.data!.retention.breakdown).toEqual([
      { value: 'pro', other: false, profiles: 2, cohorts: [{ start: '2026-01-05', size: 1, counts: [1, 1, 1] }, { start: '2026-01-06', size: 1, counts: [1, 1, 0] }] },
      { value: 'free', other: false, profiles: 1, cohorts: [{ start: '2026-01-05', size: 1, counts: [1, 0, 1] }, { start: '2026-01-06', size: 0, counts: [0, 0, 0] }] },
      { value: null, other: false, profiles: 1, cohorts: [{ start: '2026-01-05', size: 1, counts: [1, 1, 0] }, { start: '2026-01-06', size: 0, counts: [0, 0, 0] }] },
    ]);
    const bySource = await retention({ ...daily, startEvent: 'Install', breakdown: { eventProperty: 'source' } });
    expect(bySource.data!.retention.breakdown!.map((group) => [group.value, group.profiles, group.cohorts.map((cohort) => cohort.counts)])).toEqual([
      ['ads', 3, [[2, 2, 1], [1, 1, 0]]],
      ['organic', 1, [[1, 0, 1], [0, 0, 0]]],
    ]);
    expect(bySource.data!.retention.cohorts.map((cohort) => cohort.counts)).toEqual([
      [3, 2, 2],
      [1, 1, 0],
    ]);
  });

  it('raw-path local days in the project zone across the start of DST agree with the rollups', async () => {
    const project = randomUUID();
    const [ada] = await newKnownProfiles(sut, project, 1);
    const set = await sut.query(`mutation { updateAnalyticsSettings(input: { timeZone: "America/New_York" }) { timeZone } }`, {}, secretKeyCaller(project));
    expect(set.errors).toBeUndefined();
    // 23:30 EST on March 7th, then 23:30 EDT on March 8th (clocks went forward at 07:00Z on the 8th).
    await ingest(project, [
      { profileId: ada, properties: { k: 'v' }, timestamp: new Date('2026-03-08T04:30:00Z') },
      { profileId: ada, properties: { k: 'v' }, timestamp: new Date('2026-03-09T03:30:00Z') },
    ]);
    await settled();
    const question = { interval: 'DAY', intervals: 3, from: '2026-03-07', to: '2026-03-08' };
    expect(await cohorts({ ...question, filter: { event: [{ property: 'k', op: 'EQ', value: 'v' }] } }, project)).toEqual([['2026-03-07', 1, [1, 1, 0]]]);
    expect(await cohorts(question, project)).toEqual([['2026-03-07', 1, [1, 1, 0]]]);
  });

  it('merged profiles counted once and erased ones gone, on the rollup and the raw paths', async () => {
    const project = randomUUID();
    const [survivor, merged, erased] = (await newKnownProfiles(sut, project, 3)) as [string, string, string];
    for (const id of [survivor, merged, erased]) await publish(ProfileChanged, project, snapshot(id, { plan: 'pro' }));
    await ingest(project, [
      { profileId: survivor, properties: { k: 'v' }, timestamp: at('2026-02-02') },
      { profileId: merged, properties: { k: 'v' }, timestamp: at('2026-02-02') },
      { profileId: merged, properties: { k: 'v' }, timestamp: at('2026-02-03') },
      { profileId: erased, properties: { k: 'v' }, timestamp: at('2026-02-02') },
    ]);
    await settled();
    await publish(ProfileMerged, project, { profileId: survivor, mergedProfileId: merged });
    await publish(ProfileDeleted, project, { profileId: erased });
    const question = { interval: 'DAY', intervals: 2, from: '2026-02-02', to: '2026-02-03', filter: { profile: [{ property: 'plan', op: 'EQ', value: 'pro' }] } };
    await eventually(async () => JSON.stringify(await cohorts(question, project)) === JSON.stringify([['2026-02-02', 1, [1, 1]]]));
    const raw = { ...question, filter: { ...question.filter, event: [{ property: 'k', op: 'EQ', value: 'v' }] } };
    await eventually(async () => JSON.stringify(await cohorts(raw, project)) === JSON.stringify([['2026-02-02', 1, [1, 1]]]));
  });

  it('refuses bad filters and breakdowns naming the field, and an unknown segment', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ filter: { profile: [{ property: 'plan', op: 'BETWEEN', value: 1 }] } }, 'BAD_USER_INPUT', 'input.filter.profile[0]'],
      [{ filter: { event: [{ property: '', op: 'EXISTS' }] } }, 'BAD_USER_INPUT', 'input.filter.event[0].property'],
      [{ breakdown: { profileProperty: 'plan', eventProperty: 'source' } }, 'BAD_USER_INPUT', 'input.breakdown'],
      [{ filter: { segmentId: randomUUID() } }, 'NOT_FOUND', 'input.filter.segmentId'],
    ];
    for (const [input, code, field] of cases) {
      const answer = await retention({ ...daily, ...input });
      expect([field, answer.errors?.[0]?.extensions?.code, String(answer.errors?.[0]?.extensions?.field ?? '')]).toEqual([field, code, expect.stringContaining(field)]);
    }
  });
});
