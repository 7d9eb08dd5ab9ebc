import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { newKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import { RetentionQuery } from '../src/analytics/retention.query.js';
import type { RetentionMode, RetentionQuestion, RetentionUnit } from '../src/analytics/retention.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph } from './support.js';

const PROFILES = 5;
const NAMES = ['A', 'B'] as const;
/** Events over about 130 days from 2026-03-02 (a Monday), so months, weeks and n-day runs all have several cohorts. */
const ORIGIN = DateTime.fromISO('2026-03-02', { zone: 'UTC' });

interface Happening {
  profile: number;
  name: (typeof NAMES)[number];
  /** Days after ORIGIN; the hour matters only for the local day (UTC here). */
  day: number;
  hour: number;
}

const happening: fc.Arbitrary<Happening> = fc.record({ profile: fc.nat(PROFILES - 1), name: fc.constantFrom(...NAMES), day: fc.nat(130), hour: fc.nat(23) });
/** Mostly any event (null), so most questions take the `profile_days` path. */
const anyOrNamed = fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.constantFrom(...NAMES), weight: 1 });
const question = fc.record({
  interval: fc.constantFrom<RetentionUnit>('DAY', 'WEEK', 'MONTH', 'N_DAYS'),
  n: fc.integer({ min: 2, max: 10 }),
  intervals: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 60, max: 70 })),
  fromDay: fc.nat(60),
  days: fc.integer({ min: 1, max: 70 }),
  mode: fc.constantFrom<RetentionMode>('CLASSIC', 'UNBOUNDED'),
  // Any event both ways (each member's days row), or a named start or return event (the per-day rows).
  startEvent: anyOrNamed,
  returnEvent: anyOrNamed,
});

/** The grid interval of a local day, as the question's definition states it. */
function intervalOf(q: RetentionQuestion, day: DateTime): number {
  const from = DateTime.fromISO(q.from, { zone: 'UTC' });
  const days = (origin: DateTime) => Math.round(day.diff(origin, 'days').days);
  switch (q.interval) {
    case 'DAY':
      return days(from);
    case 'N_DAYS':
      return Math.floor(days(from) / q.n!);
    case 'WEEK':
      return Math.floor(days(from.startOf('week')) / 7);
    case 'MONTH':
      return (day.year - from.year) * 12 + day.month - from.month;
  }
}

/** The matrix by its definition, from the events in memory: cohorts by first start event, back in k when the return event falls in interval cohort + k. */
function expectedMatrix(events: readonly { profile: number; name: string; day: DateTime }[], q: RetentionQuestion): { size: number; counts: number[] }[] {
  const from = DateTime.fromISO(q.from, { zone: 'UTC' });
  const to = DateTime.fromISO(q.to, { zone: 'UTC' });
  const cohorts = intervalOf(q, to.minus({ days: 1 })) + 1;
  const matrix = Array.from({ length: cohorts }, () => ({ size: 0, counts: new Array<number>(q.intervals).fill(0) }));
  for (let profile = 0; profile < PROFILES; profile++) {
    const own = events.filter((e) => e.profile === profile);
    const starts = own.filter((e) => !q.startEvent || e.name === q.startEvent).map((e) => e.day);
    if (starts.length === 0) continue;
    const first = DateTime.min(...starts)!;
    if (first < from || first >= to) continue;
    const c = intervalOf(q, first);
    matrix[c]!.size++;
    const back = new Set(own.filter((e) => !q.returnEvent || e.name === q.returnEvent).map((e) => intervalOf(q, e.day) - c));
    const ks = [...back].filter((k) => k >= 0 && k < q.intervals);
    if (q.mode === 'CLASSIC') for (const k of ks) matrix[c]!.counts[k]!++;
    else if (ks.length > 0) for (let k = 0; k <= Math.max(...ks); k++) matrix[c]!.counts[k]!++;
  }
  return matrix;
}

/**
 * Property: a retention matrix (any unit, mode, range and length; any event both ways, read from each
 * member's `profile_days` row, or a named start or return event, read from the per-day rows) holds
 * what its definition says, computed in memory from the same events.
 */
describe('analytics retention (property)', () => {
  let sut: TestSubgraph;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
  });
  afterAll(() => sut?.close());

  it('answers as its definition computed from the events', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(happening, { minLength: 1, maxLength: 40 }), fc.array(question, { minLength: 1, maxLength: 4 }), async (happenings, questions) => {
        const projectId = randomUUID();
        const ids = await newKnownProfiles(sut, projectId, PROFILES);
        const events = happenings.map((h) => ({ profile: h.profile, name: h.name, day: ORIGIN.plus({ days: h.day }), time: ORIGIN.plus({ days: h.day, hours: h.hour }) }));
        await sut.app.get(IngestEvents).execute(
          projectId,
          events.map((e) => ingestCommand({ profileId: ids[e.profile]!, name: e.name, timestamp: e.time.toJSDate() })),
        );
        await consumersSettled(sut);
        for (const q of questions) {
          const asked: RetentionQuestion = {
            interval: q.interval,
            n: q.interval === 'N_DAYS' ? q.n : null,
            // Intervals that have begun by now (the clock), so each row is whole: months only a few; days past the 63-bit masks too.
            intervals: q.interval === 'MONTH' ? Math.min(q.intervals, 4) : q.interval === 'DAY' ? q.intervals : Math.min(q.intervals, 12),
            from: ORIGIN.plus({ days: q.fromDay }).toISODate()!,
            to: ORIGIN.plus({ days: q.fromDay + q.days }).toISODate()!,
            mode: q.mode,
            startEvent: q.startEvent,
            returnEvent: q.returnEvent,
          };
          const answer = await sut.app.get(RetentionQuery).retention(projectId, asked);
          expect(answer.cohorts.map(({ size, counts }) => ({ size, counts }))).toEqual(expectedMatrix(events, asked));
        }
      }),
      { numRuns: Number(process.env.RUNS ?? (process.env.CI ? 150 : 100)), endOnFailure: true },
    );
  });
});
