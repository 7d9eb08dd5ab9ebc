import { randomUUID } from 'node:crypto';
import { ProfileDeleted, ProfileMerged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, publishableKeyCaller, publishMessage, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph } from './support.js';

const VALUE = `query($input: ValueRetentionInput!) { valueRetention(input: $input) {
  timeZone revenueEvent amountProperty
  cohorts { start size revenue payers active cumulativePerMember revenueRetention arpau } } }`;

interface Cohort {
  start: string;
  size: number;
  revenue: number[];
  payers: number[];
  active: number[];
  cumulativePerMember: number[];
  revenueRetention: (number | null)[];
  arpau: (number | null)[];
}
interface Answer {
  valueRetention: { timeZone: string; revenueEvent: string; amountProperty: string; cohorts: Cohort[] };
}

/** Value retention and LTV curves against hand-computed answers on a small fixed data set. */
describe('analytics value retention and LTV', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();

  const ingest = (project: string, events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(project, events.map((event) => ingestCommand(event)));
  const settled = () => consumersSettled(sut);
  const publish = <C extends MessageContract>(contract: C, project: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) => publishMessage(sut.messaging, contract, project, body);
  const at = (day: string, hour = 12) => new Date(`${day}T${String(hour).padStart(2, '0')}:00:00Z`);
  const ask = (input: Record<string, unknown>, caller = secretKeyCaller(projectId)) => sut.query<Answer>(VALUE, { input }, caller);
  const cohorts = async (input: Record<string, unknown>, project = projectId) => {
    const answer = await ask(input, secretKeyCaller(project));
    expect(answer.errors).toBeUndefined();
    return answer.data!.valueRetention.cohorts;
  };
  const daily = { interval: 'DAY', intervals: 4, from: '2026-01-05', to: '2026-01-07' };

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    const [a, b, c] = await newKnownProfiles(sut, projectId, 3);
    await ingest(projectId, [
      { profileId: a, name: 'Open', timestamp: at('2026-01-05', 9) },
      { profileId: a, name: 'Charged', properties: { Amount: 10, Currency: 'INR' }, timestamp: at('2026-01-05') },
      { profileId: a, name: 'Charged', properties: { Amount: '5.5', Currency: 'INR' }, timestamp: at('2026-01-07') },
      { profileId: a, name: 'Open', timestamp: at('2026-01-08') },
      { profileId: b, name: 'Open', timestamp: at('2026-01-05') },
      { profileId: b, name: 'Charged', properties: { Amount: 4, Currency: 'USD' }, timestamp: at('2026-01-06') },
      { profileId: b, name: 'Purchase', properties: { price: 100 }, timestamp: at('2026-01-06') },
      { profileId: c, name: 'Charged', properties: { Amount: 20, Currency: 'INR' }, timestamp: at('2026-01-06') },
      { profileId: c, name: 'Charged', properties: { Amount: 'twenty' }, timestamp: at('2026-01-06') },
      { profileId: c, name: 'Open', timestamp: at('2026-01-09') },
    ]);
    await settled();
    // A late event: received after the others, dated on a's second day.
    await ingest(projectId, [{ profileId: a, name: 'Charged', properties: { Amount: 1, Currency: 'INR' }, timestamp: at('2026-01-06') }]);
    await settled();
  });
  afterAll(() => sut?.close());

  it("revenue, payers, active members, the LTV curve, revenue retention and ARPAU per cohort (the project's revenue event, from the rollups)", async () => {
    const answer = await ask(daily);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.valueRetention).toEqual({
      timeZone: 'UTC',
      revenueEvent: 'Charged',
      amountProperty: 'Amount',
      cohorts: [
        {
          start: '2026-01-05',
          size: 2,
          revenue: [10, 5, 5.5, 0],
          payers: [1, 2, 1, 0],
          active: [2, 2, 1, 1],
          cumulativePerMember: [5, 7.5, 10.25, 10.25],
          revenueRetention: [1, 0.5, 0.55, 0],
          arpau: [5, 2.5, 5.5, 0],
        },
        {
          start: '2026-01-06',
          size: 1,
          revenue: [20, 0, 0, 0],
          payers: [1, 0, 0, 0],
          active: [1, 0, 0, 1],
          cumulativePerMember: [20, 20, 20, 20],
          revenueRetention: [1, 0, 0, 0],
          arpau: [20, null, null, 0],
        },
      ],
    });
  });

  it('one currency only, and another event and amount property (raw events)', async () => {
    expect((await cohorts({ ...daily, currency: { property: 'Currency', value: 'INR' } })).map((cohort) => cohort.revenue)).toEqual([
      [10, 1, 5.5, 0],
      [20, 0, 0, 0],
    ]);
    const purchases = await cohorts({ ...daily, revenueEvent: 'Purchase', amountProperty: 'price' });
    expect(purchases.map(({ revenue, cumulativePerMember, revenueRetention }) => [revenue, cumulativePerMember, revenueRetention])).toEqual([
      [[0, 100, 0, 0], [0, 50, 50, 50], [null, null, null, null]],
      [[0, 0, 0, 0], [0, 0, 0, 0], [null, null, null, null]],
    ]);
  });

  it('weekly cohorts and a start event', async () => {
    expect(await cohorts({ interval: 'WEEK', intervals: 2, from: '2026-01-05', to: '2026-01-12', startEvent: 'Charged' })).toEqual([
      { start: '2026-01-05', size: 3, revenue: [40.5, 0], payers: [3, 0], active: [3, 0], cumulativePerMember: [13.5, 13.5], revenueRetention: [1, 0], arpau: [13.5, null] },
    ]);
  });

  it('local days across the start of DST, on the rollup and the raw paths', async () => {
    const project = randomUUID();
    const [ada] = await newKnownProfiles(sut, project, 1);
    expect((await sut.query(`mutation { updateAnalyticsSettings(input: { timeZone: "America/New_York" }) { timeZone } }`, {}, secretKeyCaller(project))).errors).toBeUndefined();
    // 23:30 EST on March 7th, then 23:30 EDT on March 8th.
    await ingest(project, [
      { profileId: ada, name: 'Charged', properties: { Amount: 2, Currency: 'INR' }, timestamp: new Date('2026-03-08T04:30:00Z') },
      { profileId: ada, name: 'Charged', properties: { Amount: 3, Currency: 'INR' }, timestamp: new Date('2026-03-09T03:30:00Z') },
    ]);
    await settled();
    const question = { interval: 'DAY', intervals: 3, from: '2026-03-07', to: '2026-03-08' };
    expect((await cohorts(question, project)).map((cohort) => cohort.revenue)).toEqual([[2, 3, 0]]);
    expect((await cohorts({ ...question, currency: { property: 'Currency', value: 'INR' } }, project)).map((cohort) => cohort.revenue)).toEqual([[2, 3, 0]]);
  });

  it('a merged profile counted once with its revenue, an erased one gone', async () => {
    const project = randomUUID();
    const [survivor, merged, erased] = (await newKnownProfiles(sut, project, 3)) as [string, string, string];
    await ingest(project, [
      { profileId: survivor, name: 'Charged', properties: { Amount: 3, Currency: 'INR' }, timestamp: at('2026-02-02') },
      { profileId: merged, name: 'Charged', properties: { Amount: 2, Currency: 'INR' }, timestamp: at('2026-02-02') },
      { profileId: merged, name: 'Open', timestamp: at('2026-02-03') },
      { profileId: erased, name: 'Charged', properties: { Amount: 7, Currency: 'INR' }, timestamp: at('2026-02-02') },
    ]);
    await settled();
    await publish(ProfileMerged, project, { profileId: survivor, mergedProfileId: merged });
    await publish(ProfileDeleted, project, { profileId: erased });
    const question = { interval: 'DAY', intervals: 2, from: '2026-02-02', to: '2026-02-03' };
    const expected = [{ start: '2026-02-02', size: 1, revenue: [5, 0], payers: [1, 0], active: [1, 1], cumulativePerMember: [5, 5], revenueRetention: [1, 0], arpau: [5, 0] }];
    await eventually(async () => JSON.stringify(await cohorts(question, project)) === JSON.stringify(expected));
    await eventually(async () => JSON.stringify((await cohorts({ ...question, currency: { property: 'Currency', value: 'INR' } }, project)).map((c) => c.revenue)) === '[[5,0]]');
  });

  it('refuses bad questions naming the field, and publishable keys', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...daily, amountProperty: 'a..b' }, 'input.amountProperty'],
      [{ ...daily, currency: { property: 'Currency', value: 'x'.repeat(17) } }, 'input.currency.value'],
      [{ ...daily, from: '2026-02-30' }, 'input.from'],
      [{ ...daily, intervals: 0 }, 'input.intervals'],
    ];
    for (const [input, field] of cases) {
      const answer = await ask(input);
      expect([field, answer.errors?.[0]?.extensions]).toEqual([field, expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    }
    expect((await ask(daily, publishableKeyCaller(projectId))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
