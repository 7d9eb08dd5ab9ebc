import { randomUUID } from 'node:crypto';
import { ProfileChanged } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { newKnownProfiles, publishMessage, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph, profileSnapshot } from './support.js';

const TRENDS = `query($input: TrendsInput!) { trends(input: $input) { total points { value } breakdown { value other profiles total points { start value } } } }`;
const FUNNEL = `query($input: FunnelInput!) { funnel(input: $input) { steps { profiles medianSecondsFromPrevious } breakdown { value other profiles steps { profiles conversionFromPrevious medianSecondsFromPrevious } } } }`;
const LIFECYCLE = `query($input: LifecycleInput!) { lifecycle(input: $input) { intervals { new returning resurrecting dormant } breakdown { value other profiles intervals { new returning resurrecting dormant } } } }`;
const STICKINESS = `query($input: StickinessInput!) { stickiness(input: $input) {
  days { day dau wau mau dauOverMau } weeks { start profilesByActiveDays }
  breakdown { value other profiles days { day dau wau mau dauOverMau } weeks { profilesByActiveDays } } } }`;

type Group = { value: string | null; other: boolean; profiles: number };

/**
 * Breakdowns of trends, stickiness, funnels and lifecycle by a profile property and by an event property, against
 * hand-computed answers: groups largest first (by profiles), profiles without the property as
 * `null`, groups beyond the 20 largest folded into one `other`.
 */
describe('analytics breakdowns (trends, stickiness, funnels, lifecycle)', () => {
  let sut: TestSubgraph;
  const shop = randomUUID();
  const many = randomUUID();
  let a: string, b: string, c: string, d: string;

  const snapshot = profileSnapshot;
  const ingest = (project: string, events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(project, events.map((event) => ingestCommand(event)));
  const ask = async <T>(query: string, input: Record<string, unknown>, projectId = shop) => {
    const answer = await sut.query<T>(query, { input }, secretKeyCaller(projectId));
    expect(answer.errors).toBeUndefined();
    return answer.data!;
  };
  const at = (text: string) => new Date(`2026-${text}:00Z`);
  const range = { from: '2026-02-02', to: '2026-02-05' };

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    [a, b, c, d] = (await newKnownProfiles(sut, shop, 4)) as [string, string, string, string];
    // a and b are pro, c free, d has no snapshot (no plan).
    for (const [profile, plan] of [
      [a, 'pro'],
      [b, 'pro'],
      [c, 'free'],
    ] as const)
      await publishMessage(sut.messaging, ProfileChanged, shop, snapshot(profile, { plan }));
    await ingest(shop, [
      { profileId: a, name: 'Open', timestamp: at('02-02T10:00'), properties: { screen: 'home', source: 'ads' } },
      { profileId: a, name: 'Open', timestamp: at('02-02T11:00'), properties: { screen: 'cart' } },
      { profileId: a, name: 'Open', timestamp: at('02-03T10:00'), properties: { screen: 'home' } },
      { profileId: a, name: 'Charged', timestamp: at('02-03T12:00'), properties: { Amount: 10 } },
      { profileId: b, name: 'Open', timestamp: at('02-02T09:00'), properties: { screen: 'home', source: 'organic' } },
      { profileId: b, name: 'Charged', timestamp: at('02-02T10:00'), properties: { Amount: 5 } },
      { profileId: c, name: 'Open', timestamp: at('02-03T08:00'), properties: { screen: 'cart', source: 'ads' } },
      { profileId: c, name: 'Open', timestamp: at('02-04T08:00'), properties: { screen: 'home' } },
      { profileId: d, name: 'Open', timestamp: at('02-04T10:00') },
    ]);
    // 24 profiles over 22 plans: v01 has 3, v02 2, v03…v22 one each; v21 and v22 are beyond the 20 largest.
    const plans = ['v01', 'v01', 'v01', 'v02', 'v02', ...Array.from({ length: 20 }, (_, i) => `v${String(i + 3).padStart(2, '0')}`)];
    const crowd = await newKnownProfiles(sut, many, plans.length);
    for (const [i, profile] of crowd.entries()) await publishMessage(sut.messaging, ProfileChanged, many, snapshot(profile, { plan: plans[i] }));
    await ingest(
      many,
      crowd.map((profileId) => ({ profileId, name: 'Open', timestamp: at('02-02T10:00') })),
    );
    await consumersSettled(sut);
  }, 120_000);
  afterAll(async () => {
    await sut?.close();
  });

  const series = (groups: (Group & { total: number; points: { value: number }[] })[]) => groups.map(({ value, other, profiles, total, points }) => ({ value, other, profiles, total, points: points.map((point) => point.value) }));

  it('trends by a profile property: counts per day (rollups), distinct profiles, revenue sums', async () => {
    type Answer = { trends: { total: number; points: { value: number }[]; breakdown: (Group & { total: number; points: { value: number }[] })[] } };
    const counts = (await ask<Answer>(TRENDS, { ...range, event: 'Open', measure: 'COUNT', interval: 'DAY', breakdown: { profileProperty: 'plan' } })).trends;
    expect([counts.total, counts.points.map((point) => point.value)]).toEqual([7, [3, 2, 2]]);
    expect(series(counts.breakdown)).toEqual([
      { value: 'pro', other: false, profiles: 2, total: 4, points: [3, 1, 0] },
      { value: 'free', other: false, profiles: 1, total: 2, points: [0, 1, 1] },
      { value: null, other: false, profiles: 1, total: 1, points: [0, 0, 1] },
    ]);
    const unique = (await ask<Answer>(TRENDS, { ...range, measure: 'UNIQUE_PROFILES', interval: 'DAY', breakdown: { profileProperty: 'plan' } })).trends;
    expect(series(unique.breakdown)).toEqual([
      { value: 'pro', other: false, profiles: 2, total: 2, points: [2, 1, 0] },
      { value: 'free', other: false, profiles: 1, total: 1, points: [0, 1, 1] },
      { value: null, other: false, profiles: 1, total: 1, points: [0, 0, 1] },
    ]);
    const revenue = (await ask<Answer>(TRENDS, { ...range, event: 'Charged', measure: 'SUM', property: 'Amount', interval: 'DAY', breakdown: { profileProperty: 'plan' } })).trends;
    expect([revenue.total, series(revenue.breakdown)]).toEqual([15, [{ value: 'pro', other: false, profiles: 2, total: 15, points: [5, 10, 0] }]]);
  });

  it('compares each breakdown group with the same group in the previous period (profile and event properties)', async () => {
    const COMPARED = `query($input: TrendsInput!) { trends(input: $input) { total change previous { from to total points { start value } } breakdown { value other total change previous { from to total points { start value } } } } }`;
    type Series = { from: string; to: string; total: number; points: { start: string; value: number }[] };
    type Answer = { trends: { total: number; change: number | null; previous: Series; breakdown: { value: string | null; other: boolean; total: number; change: number | null; previous: Series }[] } };
    const input = { from: '2026-02-03', to: '2026-02-05', event: 'Open', measure: 'COUNT', interval: 'DAY', compareToPrevious: true };
    const previousDays = (values: [number, number]) => ({ from: '2026-02-01', to: '2026-02-03', total: values[0] + values[1], points: [{ start: '2026-02-01', value: values[0] }, { start: '2026-02-02', value: values[1] }] });
    const byPlan = (await ask<Answer>(COMPARED, { ...input, breakdown: { profileProperty: 'plan' } })).trends;
    expect([byPlan.total, byPlan.previous.total, byPlan.change]).toEqual([4, 3, 33.33]);
    // free (c) and no plan (d) opened nothing on 02-01/02-02: zeros, no change; pro (a, b) went from 3 to 1.
    expect(byPlan.breakdown).toEqual([
      { value: 'free', other: false, total: 2, change: null, previous: previousDays([0, 0]) },
      { value: 'pro', other: false, total: 1, change: -66.67, previous: previousDays([0, 3]) },
      { value: null, other: false, total: 1, change: null, previous: previousDays([0, 0]) },
    ]);
    const byScreen = (await ask<Answer>(COMPARED, { ...input, breakdown: { eventProperty: 'screen' } })).trends;
    expect(byScreen.breakdown.map(({ value, total, change, previous }) => [value, total, previous.total, change])).toEqual([
      ['home', 2, 2, 0],
      ['cart', 1, 1, 0],
      [null, 1, 0, null],
    ]);
    // Without compareToPrevious the groups carry no previous period.
    const plain = (await ask<Answer>(COMPARED, { ...input, compareToPrevious: false, breakdown: { profileProperty: 'plan' } })).trends;
    expect(plain.breakdown.map((group) => [group.previous, group.change])).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
  });

  it("trends by an event property: each event in its own value's group (raw events), hours too", async () => {
    type Answer = { trends: { total: number; points: { value: number }[]; breakdown: (Group & { total: number; points: { value: number }[] })[] } };
    const screens = (await ask<Answer>(TRENDS, { ...range, event: 'Open', measure: 'COUNT', interval: 'DAY', breakdown: { eventProperty: 'screen' } })).trends;
    expect([screens.total, screens.points.map((point) => point.value)]).toEqual([7, [3, 2, 2]]);
    expect(series(screens.breakdown)).toEqual([
      { value: 'home', other: false, profiles: 3, total: 4, points: [2, 1, 1] },
      { value: 'cart', other: false, profiles: 2, total: 2, points: [1, 1, 0] },
      { value: null, other: false, profiles: 1, total: 1, points: [0, 0, 1] },
    ]);
    const hours = (await ask<Answer>(TRENDS, { from: '2026-02-02', to: '2026-02-03', event: 'Open', measure: 'COUNT', interval: 'HOUR', breakdown: { eventProperty: 'screen' } })).trends;
    expect(series(hours.breakdown).map(({ value, points }) => [value, points.slice(9, 12)])).toEqual([
      ['home', [1, 1, 0]],
      ['cart', [0, 0, 1]],
    ]);
  });

  it('stickiness by a profile property and by the acquisition source (first event)', async () => {
    type Day = { day: string; dau: number; wau: number; mau: number; dauOverMau: number };
    type Answer = { stickiness: { days: Day[]; weeks: { profilesByActiveDays: number[] }[]; breakdown: (Group & { days: Day[]; weeks: { profilesByActiveDays: number[] }[] })[] } };
    const day = (text: string, dau: number, wau: number, mau: number, dauOverMau: number) => ({ day: `2026-${text}`, dau, wau, mau, dauOverMau });
    const byPlan = (await ask<Answer>(STICKINESS, { ...range, breakdown: { profileProperty: 'plan' } })).stickiness;
    expect(byPlan.days).toEqual([day('02-02', 2, 2, 2, 100), day('02-03', 2, 3, 3, 66.67), day('02-04', 2, 4, 4, 50)]);
    expect(byPlan.weeks[0]!.profilesByActiveDays).toEqual([2, 2, 0, 0, 0, 0, 0]);
    expect(byPlan.breakdown).toEqual([
      { value: 'pro', other: false, profiles: 2, days: [day('02-02', 2, 2, 2, 100), day('02-03', 1, 2, 2, 50), day('02-04', 0, 2, 2, 0)], weeks: [{ profilesByActiveDays: [1, 1, 0, 0, 0, 0, 0] }] },
      { value: 'free', other: false, profiles: 1, days: [day('02-02', 0, 0, 0, 0), day('02-03', 1, 1, 1, 100), day('02-04', 1, 1, 1, 100)], weeks: [{ profilesByActiveDays: [0, 1, 0, 0, 0, 0, 0] }] },
      { value: null, other: false, profiles: 1, days: [day('02-02', 0, 0, 0, 0), day('02-03', 0, 0, 0, 0), day('02-04', 1, 1, 1, 100)], weeks: [{ profilesByActiveDays: [1, 0, 0, 0, 0, 0, 0] }] },
    ]);
    const bySource = (await ask<Answer>(STICKINESS, { ...range, breakdown: { eventProperty: 'source' } })).stickiness;
    expect(bySource.breakdown.map(({ value, profiles, days }) => [value, profiles, days.map((one) => [one.dau, one.wau])])).toEqual([
      [
        'ads',
        2,
        [
          [1, 1],
          [2, 2],
          [1, 2],
        ],
      ],
      [
        'organic',
        1,
        [
          [1, 1],
          [0, 1],
          [0, 1],
        ],
      ],
      [
        null,
        1,
        [
          [0, 0],
          [0, 0],
          [1, 1],
        ],
      ],
    ]);
  });

  it("funnels by a profile property and by the entry event's property", async () => {
    type Steps = { profiles: number; conversionFromPrevious: number; medianSecondsFromPrevious: number | null }[];
    type Answer = { funnel: { steps: { profiles: number; medianSecondsFromPrevious: number | null }[]; breakdown: (Group & { steps: Steps })[] } };
    // Entries: b 02-02 09:00, a 02-02 10:00, c 02-03 08:00, d 02-04 10:00; Charged within 2 days: b after 1 h, a after 26 h.
    const question = { ...range, steps: [{ event: 'Open' }, { event: 'Charged' }], conversionWindow: 2 };
    const step = (profiles: number, conversionFromPrevious: number, medianSecondsFromPrevious: number | null) => ({ profiles, conversionFromPrevious, medianSecondsFromPrevious });
    const byPlan = (await ask<Answer>(FUNNEL, { ...question, breakdown: { profileProperty: 'plan' } })).funnel;
    expect(byPlan.steps).toEqual([
      { profiles: 4, medianSecondsFromPrevious: null },
      { profiles: 2, medianSecondsFromPrevious: 48_600 },
    ]);
    expect(byPlan.breakdown).toEqual([
      { value: 'pro', other: false, profiles: 2, steps: [step(2, 100, null), step(2, 100, 48_600)] },
      { value: 'free', other: false, profiles: 1, steps: [step(1, 100, null), step(0, 0, null)] },
      { value: null, other: false, profiles: 1, steps: [step(1, 100, null), step(0, 0, null)] },
    ]);
    const byScreen = (await ask<Answer>(FUNNEL, { ...question, breakdown: { eventProperty: 'screen' } })).funnel;
    expect(byScreen.breakdown.map(({ value, profiles, steps }) => [value, profiles, steps.map((one) => one.profiles)])).toEqual([
      ['home', 2, [2, 2]],
      ['cart', 1, [1, 0]],
      [null, 1, [1, 0]],
    ]);
  });

  it('lifecycle by a profile property and by the acquisition source', async () => {
    type States = { new: number; returning: number; resurrecting: number; dormant: number };
    type Answer = { lifecycle: { intervals: States[]; breakdown: (Group & { intervals: States[] })[] } };
    const states = (fresh: number, returning: number, dormant: number) => ({ new: fresh, returning, resurrecting: 0, dormant });
    // Active days: a 02-02, 02-03; b 02-02; c 02-03, 02-04; d 02-04.
    const byPlan = (await ask<Answer>(LIFECYCLE, { ...range, interval: 'DAY', breakdown: { profileProperty: 'plan' } })).lifecycle;
    expect(byPlan.intervals).toEqual([states(2, 0, 0), states(1, 1, 1), states(1, 1, 1)]);
    expect(byPlan.breakdown).toEqual([
      { value: 'pro', other: false, profiles: 2, intervals: [states(2, 0, 0), states(0, 1, 1), states(0, 0, 1)] },
      { value: 'free', other: false, profiles: 1, intervals: [states(0, 0, 0), states(1, 0, 0), states(0, 1, 0)] },
      { value: null, other: false, profiles: 1, intervals: [states(0, 0, 0), states(0, 0, 0), states(1, 0, 0)] },
    ]);
    const bySource = (await ask<Answer>(LIFECYCLE, { ...range, interval: 'DAY', breakdown: { eventProperty: 'source' } })).lifecycle;
    expect(bySource.breakdown).toEqual([
      { value: 'ads', other: false, profiles: 2, intervals: [states(1, 0, 0), states(1, 1, 0), states(0, 1, 1)] },
      { value: 'organic', other: false, profiles: 1, intervals: [states(1, 0, 0), states(0, 0, 1), states(0, 0, 0)] },
      { value: null, other: false, profiles: 1, intervals: [states(0, 0, 0), states(0, 0, 0), states(1, 0, 0)] },
    ]);
    // More than 62 intervals take the other path (a row per profile and interval): the same groups.
    const long = (await ask<Answer>(LIFECYCLE, { from: '2025-12-01', to: '2026-02-05', interval: 'DAY', breakdown: { profileProperty: 'plan' } })).lifecycle;
    expect(long.breakdown.map(({ value, profiles, intervals }) => [value, profiles, intervals.slice(-3)])).toEqual(
      byPlan.breakdown.map(({ value, profiles, intervals }) => [value, profiles, intervals]),
    );
  });

  it('folds the groups beyond the 20 largest into one other group', async () => {
    const trends = (
      await ask<{ trends: { breakdown: (Group & { total: number; points: { value: number }[] })[] } }>(
        TRENDS,
        { from: '2026-02-02', to: '2026-02-03', measure: 'COUNT', interval: 'DAY', breakdown: { profileProperty: 'plan' } },
        many,
      )
    ).trends.breakdown;
    expect(trends.map((group) => [group.value, group.other, group.profiles, group.total])).toEqual([
      ['v01', false, 3, 3],
      ['v02', false, 2, 2],
      ...Array.from({ length: 18 }, (_, i) => [`v${String(i + 3).padStart(2, '0')}`, false, 1, 1]),
      [null, true, 2, 2],
    ]);
    const stickiness = (
      await ask<{ stickiness: { breakdown: (Group & { days: { dau: number }[] })[] } }>(STICKINESS, { from: '2026-02-02', to: '2026-02-03', breakdown: { profileProperty: 'plan' } }, many)
    ).stickiness.breakdown;
    const lifecycle = (
      await ask<{ lifecycle: { breakdown: (Group & { intervals: { new: number }[] })[] } }>(
        LIFECYCLE,
        { from: '2026-02-02', to: '2026-02-03', interval: 'DAY', breakdown: { profileProperty: 'plan' } },
        many,
      )
    ).lifecycle.breakdown;
    expect(lifecycle.map((group) => [group.value, group.other, group.profiles, group.intervals[0]!.new])).toEqual(trends.map((group) => [group.value, group.other, group.profiles, group.total]));
    const funnel = (
      await ask<{ funnel: { breakdown: (Group & { steps: { profiles: number }[] })[] } }>(
        FUNNEL,
        { from: '2026-02-02', to: '2026-02-03', steps: [{ event: 'Open' }, { event: 'Charged' }], conversionWindow: 1, breakdown: { profileProperty: 'plan' } },
        many,
      )
    ).funnel.breakdown;
    expect(funnel.map((group) => [group.value, group.other, group.profiles, group.steps[0]!.profiles])).toEqual(trends.map((group) => [group.value, group.other, group.profiles, group.total]));
    expect(stickiness).toHaveLength(21);
    expect(stickiness[20]).toEqual({ value: null, other: true, profiles: 2, days: [{ day: '2026-02-02', dau: 2, wau: 2, mau: 2, dauOverMau: 100 }], weeks: [{ profilesByActiveDays: [2, 0, 0, 0, 0, 0, 0] }] });
  });
});
