import { randomUUID } from 'node:crypto';
import { eventually, newKnownProfiles, publishableKeyCaller, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { ANALYTICS_EVENTS_DURABLE } from '../src/analytics/rollup.consumers.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ingestCommand, startEventsSubgraph } from './support.js';

const RETENTION = `query($input: RetentionInput!) { retention(input: $input) { timeZone cohorts { start size counts percentages } } }`;

interface Answer {
  retention: { timeZone: string; cohorts: { start: string; size: number; counts: number[]; percentages: number[] }[] };
}

/** Retention matrices from the rollups, against hand-computed expectations on a small fixed data set. */
describe('analytics retention', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  const other = randomUUID();

  // Weeks from Monday 2026-01-05: W0 = 01-05…01-11, W1 = 01-12…, W2 = 01-19…, W3 = 01-26…
  const activity: Record<string, [string, string?][]> = {
    p1: [['2026-01-05'], ['2026-01-13', 'Charged'], ['2026-01-27']],
    p2: [['2026-01-07'], ['2026-01-20']],
    p3: [['2026-01-12', 'Charged'], ['2026-01-14'], ['2026-01-26', 'Charged']],
    p4: [['2025-12-30'], ['2026-01-06']], // first seen before every cohort
    p5: [['2026-01-19'], ['2026-02-02']], // first seen on the (exclusive) end of the weekly cohorts
  };

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    const ids = await newKnownProfiles(sut, projectId, Object.keys(activity).length);
    const commands = Object.values(activity).flatMap((days, index) =>
      days.map(([day, name]) => ingestCommand({ profileId: ids[index]!, name: name ?? 'App Opened', timestamp: new Date(`${day}T12:00:00Z`) })),
    );
    await sut.app.get(IngestEvents).execute(projectId, commands);
    // Another project's profile active on the same days is never counted here.
    const [stranger] = await newKnownProfiles(sut, other, 1);
    await sut.app.get(IngestEvents).execute(other, [ingestCommand({ profileId: stranger!, timestamp: new Date('2026-01-05T12:00:00Z') })]);
    await sut.flushOutbox();
    await eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('events'), ANALYTICS_EVENTS_DURABLE);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
  });
  afterAll(() => sut?.close());

  const retention = async (input: Record<string, unknown>, caller = secretKeyCaller(projectId)) => sut.query<Answer>(RETENTION, { input }, caller);
  const matrix = async (input: Record<string, unknown>) => {
    const answer = await retention(input);
    expect(answer.errors).toBeUndefined();
    return answer.data!.retention.cohorts.map(({ start, size, counts }) => [start, size, counts]);
  };
  const weekly = { interval: 'WEEK', intervals: 3, from: '2026-01-05', to: '2026-01-19' };

  it('weekly, classic: cohorts by first event, any event as a return, each profile once per interval', async () => {
    const answer = await retention(weekly);
    expect(answer.data?.retention).toEqual({
      timeZone: 'UTC',
      cohorts: [
        { start: '2026-01-05', size: 2, counts: [2, 1, 1], percentages: [100, 50, 50] },
        { start: '2026-01-12', size: 1, counts: [1, 0, 1], percentages: [100, 0, 100] },
      ],
    });
  });

  it('unbounded: back in interval k or any later one shown', async () => {
    expect(await matrix({ ...weekly, mode: 'UNBOUNDED' })).toEqual([
      ['2026-01-05', 2, [2, 2, 1]],
      ['2026-01-12', 1, [1, 1, 1]],
    ]);
  });

  it('a chosen return event, and cohorts by the first time of a start event', async () => {
    expect(await matrix({ ...weekly, returnEvent: 'Charged' })).toEqual([
      ['2026-01-05', 2, [0, 1, 0]],
      ['2026-01-12', 1, [1, 0, 1]],
    ]);
    expect(await matrix({ ...weekly, startEvent: 'Charged' })).toEqual([
      ['2026-01-05', 0, [0, 0, 0]],
      ['2026-01-12', 2, [2, 0, 2]],
    ]);
  });

  it('N days from `from`, and calendar months', async () => {
    // 3-day intervals from 01-05: [05–07] [08–10] [11–13] …
    expect(await matrix({ interval: 'N_DAYS', n: 3, intervals: 3, from: '2026-01-05', to: '2026-01-11' })).toEqual([
      ['2026-01-05', 2, [2, 0, 1]],
      ['2026-01-08', 0, [0, 0, 0]],
    ]);
    expect(await matrix({ interval: 'MONTH', intervals: 2, from: '2026-01-01', to: '2026-03-01' })).toEqual([
      ['2026-01-01', 4, [4, 1]],
      ['2026-02-01', 0, [0, 0]],
    ]);
  });

  it('days in the project’s time zone across the start of DST', async () => {
    const project = randomUUID();
    const [ada] = await newKnownProfiles(sut, project, 1);
    const set = await sut.query(
      `mutation { updateAnalyticsSettings(input: { timeZone: "America/New_York" }) { timeZone } }`,
      {},
      secretKeyCaller(project),
    );
    expect(set.errors).toBeUndefined();
    // 2026-03-08T04:30Z is 23:30 EST on March 7th; 2026-03-09T03:30Z is 23:30 EDT on March 8th (clocks went forward at 07:00Z).
    await sut.app.get(IngestEvents).execute(project, [
      ingestCommand({ profileId: ada!, timestamp: new Date('2026-03-08T04:30:00Z') }),
      ingestCommand({ profileId: ada!, timestamp: new Date('2026-03-09T03:30:00Z') }),
    ]);
    await sut.flushOutbox();
    const ask = () => sut.query<Answer>(RETENTION, { input: { interval: 'DAY', intervals: 3, from: '2026-03-07', to: '2026-03-08' } }, secretKeyCaller(project));
    await eventually(async () => (await ask()).data?.retention.cohorts[0]?.size === 1);
    expect((await ask()).data?.retention).toEqual({
      timeZone: 'America/New_York',
      cohorts: [{ start: '2026-03-07', size: 1, counts: [1, 1, 0], percentages: [100, 100, 0] }],
    });
  });

  it('refuses bad questions naming the field, and publishable keys', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...weekly, interval: 'N_DAYS' }, 'input.n'],
      [{ ...weekly, n: 3 }, 'input.n'],
      [{ ...weekly, from: '2026-02-30' }, 'input.from'],
      [{ ...weekly, to: '2026-01-05' }, 'input.to'],
      [{ ...weekly, intervals: 0 }, 'input.intervals'],
      [{ ...weekly, interval: 'DAY', from: '2020-01-01', to: '2026-01-01' }, 'input.to'],
    ];
    for (const [input, field] of cases) {
      const answer = await retention(input);
      expect([field, answer.errors?.[0]?.extensions]).toEqual([field, expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    }
    const publishable = await retention(weekly, publishableKeyCaller(projectId));
    expect(publishable.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
