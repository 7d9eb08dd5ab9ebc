import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { newKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import { FunnelQuery, type FunnelOrder, type FunnelQuestion, type FunnelWindowUnit } from '../src/analytics/funnel.query.js';
import { median } from '../src/analytics/behaviour.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph } from './support.js';

const PROFILES = 4;
const NAMES = ['A', 'B', 'C'] as const;
const HOUR_MS = 3_600_000;
const UNIT_MS: Record<FunnelWindowUnit, number> = { MINUTE: 60_000, HOUR: HOUR_MS, DAY: 24 * HOUR_MS };
/** Events from 2026-05-20 on, over about 45 days: across the May/June and June/July month rows (days 12 and 42). */
const ORIGIN = Date.UTC(2026, 4, 20);

interface Happening {
  profile: number;
  name: (typeof NAMES)[number];
  /** Minutes after ORIGIN. */
  minute: number;
}

/** Minutes of the 40 days, half of them within 3 days of a month's end (where a step moves to the next month's row). */
const minute = fc.oneof(
  fc.nat(40 * 24 * 60),
  fc.tuple(fc.constantFrom(12, 42), fc.integer({ min: -3 * 24 * 60, max: 3 * 24 * 60 })).map(([day, offset]) => day * 24 * 60 + offset),
);
const happening: fc.Arbitrary<Happening> = fc.record({ profile: fc.nat(PROFILES - 1), name: fc.constantFrom(...NAMES), minute });
const question = fc.record({
  steps: fc.array(fc.constantFrom(...NAMES), { minLength: 2, maxLength: 4 }),
  conversionWindow: fc.integer({ min: 1, max: 28 }),
  conversionWindowUnit: fc.constantFrom<FunnelWindowUnit>('MINUTE', 'HOUR', 'DAY'),
  order: fc.constantFrom<FunnelOrder>('STRICT_ORDER', 'ANY_ORDER'),
  fromDay: fc.nat(30),
  days: fc.integer({ min: 1, max: 45 }),
});

/** The funnel's definition, computed from the events in memory: each profile's step times (null from the first step not reached). */
function expectedTimes(events: readonly { profile: number; name: string; time: number }[], q: FunnelQuestion & { order: FunnelOrder }): { profile: number; times: (number | null)[] }[] {
  const from = Date.parse(`${q.from}T00:00:00Z`);
  const to = Date.parse(`${q.to}T00:00:00Z`);
  const windowMs = q.conversionWindow * UNIT_MS[q.conversionWindowUnit ?? 'DAY'];
  const byProfile = new Map<number, { name: string; time: number }[]>();
  for (const event of events) byProfile.set(event.profile, [...(byProfile.get(event.profile) ?? []), event]);
  const answers: { profile: number; times: (number | null)[] }[] = [];
  for (const [profile, own] of byProfile) {
    const first = (name: string, atOrAfter: number, before: number) =>
      own.filter((e) => e.name === name && e.time >= atOrAfter && e.time < before).reduce<number | null>((min, e) => (min === null || e.time < min ? e.time : min), null);
    const t1 = first(q.steps[0]!.event, from, to);
    if (t1 === null) continue;
    const times: (number | null)[] = [t1];
    for (let k = 1; k < q.steps.length; k++) {
      const before = times[k - 1];
      times.push(before == null ? null : first(q.steps[k]!.event, q.order === 'STRICT_ORDER' ? before : t1, t1 + windowMs));
    }
    answers.push({ profile, times });
  }
  return answers;
}

/**
 * Property: a funnel over the rollups (the flat statement, any steps, window, order and range across
 * month rows) answers what its definition says, computed in memory from the same events: each
 * step's profiles and median seconds from the step before, and the profiles that reached or dropped
 * off at each step.
 */
describe('analytics funnels (property)', () => {
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
        const events = happenings.map((h) => ({ profile: h.profile, name: h.name, time: ORIGIN + h.minute * 60_000 }));
        await sut.app.get(IngestEvents).execute(
          projectId,
          events.map((e) => ingestCommand({ profileId: ids[e.profile]!, name: e.name, timestamp: new Date(e.time) })),
        );
        await consumersSettled(sut);
        for (const q of questions) {
          const day = (offset: number) => new Date(ORIGIN + offset * 24 * HOUR_MS).toISOString().slice(0, 10);
          const asked = {
            steps: q.steps.map((event) => ({ event })),
            conversionWindow: q.conversionWindow,
            conversionWindowUnit: q.conversionWindowUnit,
            order: q.order,
            from: day(q.fromDay),
            to: day(q.fromDay + q.days),
          };
          const expected = expectedTimes(events, asked);
          const funnels = sut.app.get(FunnelQuery);
          const answer = await funnels.funnel(projectId, asked);
          const latest = (times: (number | null)[], k: number) => (q.order === 'STRICT_ORDER' ? times[k]! : Math.max(...(times.slice(0, k + 1) as number[])));
          const reaching = (k: number) => expected.filter(({ times }) => times[k] != null);
          expect(answer.steps.map((step) => [step.profiles, step.medianSecondsFromPrevious])).toEqual(
            q.steps.map((_, k) => [reaching(k).length, k === 0 ? null : median(reaching(k).map(({ times }) => (latest(times, k) - latest(times, k - 1)) / 1000))]),
          );
          const idsOf = (rows: { profile: number }[]) => rows.map(({ profile }) => ids[profile]!).sort();
          for (let k = 0; k < q.steps.length; k++) {
            expect(await funnels.profiles(projectId, asked, k + 1, false)).toEqual(idsOf(reaching(k)));
            if (k + 1 < q.steps.length) expect(await funnels.profiles(projectId, asked, k + 1, true)).toEqual(idsOf(reaching(k).filter(({ times }) => times[k + 1] == null)));
          }
        }
      }),
      { numRuns: Number(process.env.RUNS ?? (process.env.CI ? 150 : 100)), endOnFailure: true },
    );
  });
});
