import { randomUUID } from 'node:crypto';
import { decodeProfileIds, SaveAnalyticsCohort } from '@boomerang/contracts';
import { serveRpc } from '@boomerang/platform/messaging';
import { newKnownProfiles, secretKeyCaller, silentLogger, type TestSubgraph } from '@boomerang/platform/testing';
import { RetentionDriversQuery } from '../src/analytics/retention-drivers.query.js';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph } from './support.js';

const DRIVERS = `query($input: RetentionDriversInput!) { retentionDrivers(input: $input) {
  members retained drivers { event atLeast doers doersRetained nonDoers nonDoersRetained doerRate nonDoerRate difference low high } } }`;

interface Driver {
  event: string;
  atLeast: number;
  doers: number;
  doersRetained: number;
  nonDoers: number;
  nonDoersRetained: number;
  doerRate: number;
  nonDoerRate: number;
  difference: number;
  low: number;
  high: number;
}
interface Answer {
  retentionDrivers: { members: number; retained: number; drivers: Driver[] };
}

/**
 * Retention drivers on six members who all arrived on 01-05 (UTC), judged on day 2, by what they
 * did on days 0–1. Intervals: difference ± 1.9572 (probit(0.975)) × √(p1(1−p1)/n1 + p0(1−p0)/n0), clipped to ±100.
 */
describe('analytics retention drivers', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  let members: string[] = [];
  const ingest = (events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));
  const at = (day: string) => new Date(`${day}T12:00:00Z`);
  const drivers = async (input: Record<string, unknown>) => {
    const answer = await sut.query<Answer>(DRIVERS, { input }, secretKeyCaller(projectId));
    expect(answer.errors).toBeUndefined();
    return answer.data!.retentionDrivers;
  };

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    members = await newKnownProfiles(sut, projectId, 6);
    const [p1, p2, p3, p4, p5, p6] = members;
    const install = (profileId: string | undefined) => ({ profileId, name: 'Install', timestamp: at('2026-01-05') });
    await ingest([
      install(p1),
      { profileId: p1, name: 'Share', timestamp: at('2026-01-05') },
      { profileId: p1, name: 'Share', timestamp: at('2026-01-06') },
      { profileId: p1, name: 'Open', timestamp: at('2026-01-07') },
      install(p2),
      { profileId: p2, name: 'Share', timestamp: at('2026-01-06') },
      { profileId: p2, name: 'Open', timestamp: at('2026-01-07') },
      install(p3),
      { profileId: p3, name: 'Search', timestamp: at('2026-01-05') },
      install(p4),
      { profileId: p4, name: 'Search', timestamp: at('2026-01-06') },
      { profileId: p4, name: 'Open', timestamp: at('2026-01-07') },
      install(p5),
      install(p6),
      { profileId: p6, name: 'Share', timestamp: at('2026-01-05') },
      { profileId: p6, name: 'Share', timestamp: at('2026-01-08') }, // day 3: after the first two days
    ]);
    await consumersSettled(sut);
  });
  afterAll(() => sut?.close());

  const question = { from: '2026-01-05', to: '2026-01-06', withinDays: 2, retainedOnDay: 2, atLeast: [1, 2] };

  it('ranks each event and "at least n times" in the first days by the retention difference, with counts and a 95 % interval', async () => {
    // Retained on day 2: p1, p2, p4. Install (everyone) and events nobody did enough are left out (no comparison).
    expect(await drivers(question)).toEqual({
      members: 6,
      retained: 3,
      drivers: [
        { event: 'Share', atLeast: 2, doers: 1, doersRetained: 1, nonDoers: 5, nonDoersRetained: 2, doerRate: 100, nonDoerRate: 40, difference: 60, low: 17.12, high: 100 },
        { event: 'Share', atLeast: 1, doers: 3, doersRetained: 2, nonDoers: 3, nonDoersRetained: 1, doerRate: 66.67, nonDoerRate: 33.33, difference: 33.33, low: -42, high: 100 },
        { event: 'Search', atLeast: 1, doers: 2, doersRetained: 1, nonDoers: 4, nonDoersRetained: 2, doerRate: 50, nonDoerRate: 50, difference: 0, low: -84.75, high: 84.75 },
      ],
    });
  });

  it('unbounded retention (day 2 or later), a limit, and a filter on the cohort', async () => {
    // Unbounded: p6 (back on day 3) is retained too; Share ≥ 1: doers p1, p2, p6 all retained, non-doers p3, p4, p5: p4.
    const unbounded = await drivers({ ...question, mode: 'UNBOUNDED', atLeast: [1], limit: 1 });
    expect([unbounded.retained, unbounded.drivers.map((d) => [d.event, d.doers, d.doersRetained, d.nonDoersRetained, d.difference])]).toEqual([4, [['Share', 3, 3, 1, 66.67]]]);
    // No event meets the event condition: no member, nothing to compare.
    const filtered = await drivers({ ...question, filter: { event: [{ property: 'missing', op: 'EXISTS' }] } });
    expect(filtered).toEqual({ members: 0, retained: 0, drivers: [] });
  });

  it("a driver's doers and non-doers, in id order (what saving them as a segment sends)", async () => {
    const sutQuery = sut.app.get(RetentionDriversQuery);
    const [p1] = members;
    expect(await sutQuery.profiles(projectId, question, 'Share', 2, true)).toEqual([p1]);
    expect(await sutQuery.profiles(projectId, question, 'Share', 2, false)).toEqual(members.filter((id) => id !== p1).sort());
  });

  it("saves a driver's doers or non-doers as a segment (saveAnalyticsCohort)", async () => {
    // Stands in for segments answering SaveAnalyticsCohort: records what each chunk carried.
    const saved: string[][] = [];
    serveRpc(
      sut.messaging.nc,
      sut.messaging.subjects,
      SaveAnalyticsCohort,
      async (request) => {
        saved.push(decodeProfileIds(request.profileIds));
        return { ok: true as const, segmentId: request.cohortId, added: request.count };
      },
      silentLogger,
    );
    const SAVE = `mutation($input: SaveAnalyticsCohortInput!) { saveAnalyticsCohort(input: $input) { segment { id } profiles } }`;
    const save = (drivers: Record<string, unknown>) => sut.query<{ saveAnalyticsCohort: { profiles: number } }>(SAVE, { input: { name: 'Sharers', drivers } }, secretKeyCaller(projectId));
    const doers = await save({ question, event: 'Share', atLeast: 2 });
    expect([doers.errors, doers.data?.saveAnalyticsCohort.profiles, saved.at(-1)]).toEqual([undefined, 1, [members[0]]]);
    const nonDoers = await save({ question, event: 'Share', doers: false });
    expect([nonDoers.data?.saveAnalyticsCohort.profiles, saved.at(-1)]).toEqual([3, members.slice(2, 5).sort()]);
  });

  it('refuses bad questions naming the field', async () => {
    for (const [input, field] of [
      [{ ...question, withinDays: 0 }, 'input.withinDays'],
      [{ ...question, retainedOnDay: 1 }, 'input.retainedOnDay'],
      [{ ...question, atLeast: [1, 1] }, 'input.atLeast'],
      [{ ...question, limit: 0 }, 'input.limit'],
      [{ ...question, from: '2026-13-01' }, 'input.from'],
    ] as const) {
      const answer = await sut.query(DRIVERS, { input }, secretKeyCaller(projectId));
      expect([field, answer.errors?.[0]?.extensions]).toEqual([field, expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    }
  });
});
