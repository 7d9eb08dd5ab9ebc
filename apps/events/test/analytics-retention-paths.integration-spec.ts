import { randomUUID } from 'node:crypto';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { ANALYTICS_EVENTS_DURABLE } from '../src/analytics/rollup.consumers.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ingestCommand, startEventsSubgraph } from './support.js';

const RETENTION = `query($input: RetentionInput!) { retention(input: $input) { cohorts { start size counts } } }`;

/**
 * Retention counts questions of up to 63 intervals from a bit mask per returning member and longer
 * ones from a distinct (member, interval) row each: both against hand-computed matrices, classic
 * and unbounded, with a return only the longer question reaches.
 */
describe('analytics retention: the mask path and the distinct-row path', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    const [p, q, r] = (await newKnownProfiles(sut, projectId, 3)) as [string, string, string];
    const on = (profileId: string, day: string) => ingestCommand({ profileId, name: 'Opened', timestamp: new Date(`${day}T10:00:00Z`) });
    // Cohort 01-01: p (back on days 1, 9 and 63) and r; cohort 01-02: q (back on day 1).
    await sut.app.get(IngestEvents).execute(projectId, [
      on(p, '2026-01-01'),
      on(r, '2026-01-01'),
      on(p, '2026-01-02'),
      on(q, '2026-01-02'),
      on(q, '2026-01-03'),
      on(p, '2026-01-10'),
      on(p, '2026-03-05'),
    ]);
    await sut.flushOutbox();
    await eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('events'), ANALYTICS_EVENTS_DURABLE);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
  }, 120_000);
  afterAll(() => sut?.close());

  const matrix = async (intervals: number, mode: 'CLASSIC' | 'UNBOUNDED') => {
    const answer = await sut.query<{ retention: { cohorts: { start: string; size: number; counts: number[] }[] } }>(
      RETENTION,
      { input: { interval: 'DAY', intervals, from: '2026-01-01', to: '2026-01-04', mode } },
      secretKeyCaller(projectId),
    );
    expect(answer.errors).toBeUndefined();
    return answer.data!.retention.cohorts;
  };
  /** A row of `length` zeros with the given intervals set. */
  const row = (length: number, set: Record<number, number>) => Array.from({ length }, (_, k) => set[k] ?? 0);
  const range = (from: number, to: number, value: number) => Object.fromEntries(Array.from({ length: to - from + 1 }, (_, i) => [from + i, value]));

  it.each([60, 70])('%i daily intervals, classic and unbounded, by hand', async (n) => {
    const lastBack = n > 63 ? 63 : 9;
    expect(await matrix(n, 'CLASSIC')).toEqual([
      { start: '2026-01-01', size: 2, counts: row(n, n > 63 ? { 0: 2, 1: 1, 9: 1, 63: 1 } : { 0: 2, 1: 1, 9: 1 }) },
      { start: '2026-01-02', size: 1, counts: row(n, { 0: 1, 1: 1 }) },
      { start: '2026-01-03', size: 0, counts: row(n, {}) },
    ]);
    expect(await matrix(n, 'UNBOUNDED')).toEqual([
      { start: '2026-01-01', size: 2, counts: row(n, { ...range(1, lastBack, 1), 0: 2 }) },
      { start: '2026-01-02', size: 1, counts: row(n, { 0: 1, 1: 1 }) },
      { start: '2026-01-03', size: 0, counts: row(n, {}) },
    ]);
  });
});
