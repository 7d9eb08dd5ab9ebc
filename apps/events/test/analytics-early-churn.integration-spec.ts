import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { ProfileDeleted, ProfileMerged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, publishMessage, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph } from './support.js';

const CHURN = `query($input: EarlyChurnInput!) { earlyChurn(input: $input) {
  size points { day eligible churned percentage } breakdown { value other profiles points { day eligible churned percentage } } } }`;

type Point = { day: number; eligible: number; churned: number; percentage: number };
interface Answer {
  earlyChurn: { size: number; points: Point[]; breakdown: { value: string | null; other: boolean; profiles: number; points: Point[] }[] | null };
}

/** Early churn (never seen again from day d on) against hand-computed answers. */
describe('analytics early churn', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  const ingest = (project: string, events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(project, events.map((event) => ingestCommand(event)));
  const settled = () => consumersSettled(sut);
  const publish = <C extends MessageContract>(contract: C, project: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) => publishMessage(sut.messaging, contract, project, body);
  const at = (day: string) => new Date(`${day}T12:00:00Z`);
  const churn = async (input: Record<string, unknown>, project = projectId) => {
    const answer = await sut.query<Answer>(CHURN, { input }, secretKeyCaller(project));
    expect(answer.errors).toBeUndefined();
    return answer.data!.earlyChurn;
  };
  const point = (day: number, eligible: number, churned: number) => ({ day, eligible, churned, percentage: eligible === 0 ? 0 : Math.round((10_000 * churned) / eligible) / 100 });

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    const [a, b, c, d, e] = await newKnownProfiles(sut, projectId, 5);
    await ingest(projectId, [
      { profileId: a, name: 'Install', properties: { source: 'ads' }, timestamp: at('2026-01-05') },
      { profileId: b, name: 'Install', properties: { source: 'ads' }, timestamp: at('2026-01-05') },
      { profileId: b, name: 'Open', timestamp: at('2026-01-06') },
      { profileId: c, name: 'Install', properties: { source: 'organic' }, timestamp: at('2026-01-06') },
      { profileId: c, name: 'Open', timestamp: at('2026-01-10') },
      { profileId: d, name: 'Install', properties: { source: 'organic' }, timestamp: at('2026-01-07') },
      { profileId: d, name: 'Open', timestamp: at('2026-02-10') },
      { profileId: e, name: 'Open', timestamp: at('2026-01-04') }, // arrived before the period
    ]);
    await settled();
  });
  afterAll(() => sut?.close());

  const period = { from: '2026-01-05', to: '2026-01-08' };

  it('the share never seen again from day 1, 3, 7, 30 on', async () => {
    expect(await churn(period)).toEqual({ size: 4, points: [point(1, 4, 1), point(3, 4, 2), point(7, 4, 3), point(30, 4, 3)], breakdown: null });
    expect((await churn({ ...period, days: [2, 35] })).points).toEqual([point(2, 4, 2), point(35, 4, 4)]);
  });

  it('per acquisition source: the start event’s property', async () => {
    const answer = await churn({ ...period, startEvent: 'Install', breakdown: { eventProperty: 'source' } });
    expect(answer.breakdown).toEqual([
      { value: 'ads', other: false, profiles: 2, points: [point(1, 2, 1), point(3, 2, 2), point(7, 2, 2), point(30, 2, 2)] },
      { value: 'organic', other: false, profiles: 2, points: [point(1, 2, 0), point(3, 2, 0), point(7, 2, 1), point(30, 2, 1)] },
    ]);
  });

  it('judges only members whose day d has begun', async () => {
    const project = randomUUID();
    const [g, h] = await newKnownProfiles(sut, project, 2);
    const today = DateTime.utc().startOf('day');
    const day = (offset: number) => today.plus({ days: offset }).set({ hour: 12 }).toJSDate();
    await ingest(project, [
      { profileId: g, timestamp: day(-2) },
      { profileId: h, timestamp: day(-1) },
      { profileId: h, timestamp: new Date(Math.min(Date.now(), day(0).getTime())) },
    ]);
    await settled();
    const answer = await churn({ from: today.minus({ days: 5 }).toISODate(), to: today.plus({ days: 1 }).toISODate(), days: [1, 3] }, project);
    expect(answer.points).toEqual([point(1, 2, 1), point(3, 0, 0)]);
  });

  it('a merged profile counted once (with its later activity), an erased one gone', async () => {
    const project = randomUUID();
    const [survivor, merged, erased] = (await newKnownProfiles(sut, project, 3)) as [string, string, string];
    await ingest(project, [
      { profileId: survivor, timestamp: at('2026-03-02') },
      { profileId: merged, timestamp: at('2026-03-02') },
      { profileId: merged, timestamp: at('2026-03-12') },
      { profileId: erased, timestamp: at('2026-03-02') },
    ]);
    await settled();
    await publish(ProfileMerged, project, { profileId: survivor, mergedProfileId: merged });
    await publish(ProfileDeleted, project, { profileId: erased });
    const expected = { size: 1, points: [point(7, 1, 0), point(30, 1, 1)], breakdown: null };
    await eventually(async () => JSON.stringify(await churn({ from: '2026-03-02', to: '2026-03-03', days: [7, 30] }, project)) === JSON.stringify(expected));
  });

  it('refuses bad questions naming the field', async () => {
    for (const [input, field] of [
      [{ ...period, days: [0] }, 'input.days'],
      [{ ...period, days: [3, 3] }, 'input.days'],
      [{ ...period, to: '2026-01-05' }, 'input.to'],
      [{ ...period, startEvent: '' }, 'input.startEvent'],
    ] as const) {
      const answer = await sut.query(CHURN, { input }, secretKeyCaller(projectId));
      expect([field, answer.errors?.[0]?.extensions]).toEqual([field, expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    }
  });
});
