import { randomUUID } from 'node:crypto';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { LifecycleQuery } from '../src/analytics/lifecycle.query.js';
import { ANALYTICS_EVENTS_DURABLE } from '../src/analytics/rollup.consumers.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ingestCommand, startEventsSubgraph } from './support.js';

const LIFECYCLE = `query($input: LifecycleInput!) { lifecycle(input: $input) { intervals { start new returning resurrecting dormant } } }`;

interface Interval {
  start: string;
  new: number;
  returning: number;
  resurrecting: number;
  dormant: number;
}

/**
 * Lifecycle counts charts of up to 62 intervals from a bit mask per profile and longer ones with
 * lag/lead over (profile, interval) rows: both against the same hand-computed days, and the two
 * agreeing on the days both show (states and the profiles in them).
 */
describe('analytics lifecycle: the mask path and the window path', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  let p: string, q: string, r: string;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    [p, q, r] = (await newKnownProfiles(sut, projectId, 3)) as [string, string, string];
    const on = (profileId: string, day: string) => ingestCommand({ profileId, name: 'Opened', timestamp: new Date(`${day}T10:00:00Z`) });
    // r: first seen 2025-12-30, active 12-31 (the interval before the chart) and 01-02.
    // p: 01-05, 01-06, 01-09 and 03-10 (only the 73-day chart reaches it). q: 01-06.
    await sut.app.get(IngestEvents).execute(projectId, [
      on(r, '2025-12-30'),
      on(r, '2025-12-31'),
      on(r, '2026-01-02'),
      on(p, '2026-01-05'),
      on(p, '2026-01-06'),
      on(q, '2026-01-06'),
      on(p, '2026-01-09'),
      on(p, '2026-03-10'),
    ]);
    await sut.flushOutbox();
    await eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('events'), ANALYTICS_EVENTS_DURABLE);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
  }, 120_000);
  afterAll(() => sut?.close());

  const chart = async (to: string) => {
    const answer = await sut.query<{ lifecycle: { intervals: Interval[] } }>(LIFECYCLE, { input: { interval: 'DAY', from: '2026-01-01', to } }, secretKeyCaller(projectId));
    expect(answer.errors).toBeUndefined();
    return answer.data!.lifecycle.intervals;
  };
  /** The days with any state, by hand. */
  const expected: Record<string, Partial<Interval>> = {
    '2026-01-01': { dormant: 1 },
    '2026-01-02': { resurrecting: 1 },
    '2026-01-03': { dormant: 1 },
    '2026-01-05': { new: 1 },
    '2026-01-06': { returning: 1, new: 1 },
    '2026-01-07': { dormant: 2 },
    '2026-01-09': { resurrecting: 1 },
    '2026-01-10': { dormant: 1 },
    '2026-03-10': { resurrecting: 1 },
    '2026-03-11': { dormant: 1 },
  };
  const byHand = (intervals: Interval[]) => intervals.map(({ start }) => ({ start, new: 0, returning: 0, resurrecting: 0, dormant: 0, ...expected[start] }));

  it('counts the same states by hand on both paths, and lists the same profiles', async () => {
    const short = await chart('2026-03-03'); // 61 days: masks
    const long = await chart('2026-03-15'); // 73 days: lag/lead
    expect(short).toHaveLength(61);
    expect(long).toHaveLength(73);
    expect(short).toEqual(byHand(short));
    expect(long).toEqual(byHand(long));
    const lifecycle = sut.app.get(LifecycleQuery);
    for (const to of ['2026-03-03', '2026-03-15']) {
      const question = { interval: 'DAY' as const, from: '2026-01-01', to };
      expect(await lifecycle.profiles(projectId, question, 'DORMANT', '2026-01-07')).toEqual([p, q].sort());
      expect(await lifecycle.profiles(projectId, question, 'RESURRECTING', '2026-01-02')).toEqual([r]);
      expect(await lifecycle.profiles(projectId, question, 'NEW', '2026-01-06')).toEqual([q]);
      expect(await lifecycle.profiles(projectId, question, 'RETURNING', '2026-01-06')).toEqual([p]);
    }
  });
});
