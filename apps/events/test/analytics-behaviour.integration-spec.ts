import { randomUUID } from 'node:crypto';
import { ProfileChanged, ProfileDeleted, ProfileMerged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { DataSource } from 'typeorm';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, publishableKeyCaller, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { FunnelQuery } from '../src/analytics/funnel.query.js';
import { LifecycleQuery } from '../src/analytics/lifecycle.query.js';
import { ANALYTICS_PROFILE_CHANGED_DURABLE } from '../src/analytics/analytics-profiles.js';
import { ANALYTICS_EVENTS_DURABLE } from '../src/analytics/rollup.consumers.js';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ingestCommand, startEventsSubgraph, profileSnapshot } from './support.js';

const FUNNEL = `query($input: FunnelInput!) { funnel(input: $input) { timeZone order steps { event profiles conversionFromPrevious conversionFromFirst medianSecondsFromPrevious } } }`;
const TRENDS = `query($input: TrendsInput!) { trends(input: $input) { timeZone from to total change points { start value } previous { from to total points { start value } } } }`;
const STICKINESS = `query($input: StickinessInput!) { stickiness(input: $input) { timeZone days { day dau wau mau dauOverMau } weeks { start profilesByActiveDays } } }`;
const LIFECYCLE = `query($input: LifecycleInput!) { lifecycle(input: $input) { timeZone intervals { start new returning resurrecting dormant } } }`;

type Step = { event: string; profiles: number; conversionFromPrevious: number; conversionFromFirst: number; medianSecondsFromPrevious: number | null };

/**
 * Funnels, trends, stickiness and lifecycle against hand-computed answers on small fixed data sets:
 * late events, a merged profile counted once, an erased one gone, another project never counted,
 * local days across DST, bad input named by its field, publishable keys refused.
 */
describe('analytics behaviour (funnels, trends, stickiness, lifecycle)', () => {
  let sut: TestSubgraph;
  const shop = randomUUID();
  const other = randomUUID();
  const sticky = randomUUID();
  const ids: Record<string, string> = {};

  const at = (text: string) => new Date(`2026-${text}:00Z`);
  const ingest = (projectId: string, events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));
  const settled = async () => {
    await sut.flushOutbox();
    await eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('events'), ANALYTICS_EVENTS_DURABLE);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
  };
  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), {
      msgID: randomUUID(),
    });
  const ask = async <T>(query: string, input: Record<string, unknown>, projectId = shop) => {
    const answer = await sut.query<T>(query, { input }, secretKeyCaller(projectId));
    expect(answer.errors).toBeUndefined();
    return answer.data!;
  };
  const steps = async (input: Record<string, unknown>, projectId = shop) => (await ask<{ funnel: { steps: Step[] } }>(FUNNEL, input, projectId)).funnel.steps;
  const threeSteps = {
    steps: [{ event: 'View' }, { event: 'Cart' }, { event: 'Buy' }],
    conversionWindow: 1,
    from: '2026-02-02',
    to: '2026-02-09',
  };

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x'];
    (await newKnownProfiles(sut, shop, names.length)).forEach((id, i) => (ids[names[i]!] = id));
    const event = (who: string, name: string, time: string, properties: Record<string, unknown> = {}) => ({ profileId: ids[who]!, name, timestamp: at(time), properties });
    await ingest(shop, [
      event('a', 'View', '02-02T10:00'),
      event('a', 'Cart', '02-02T11:00'),
      event('a', 'Buy', '02-02T12:00', { price: 10 }),
      event('b', 'View', '02-03T10:00'),
      event('b', 'Cart', '02-03T13:00'),
      event('b', 'Buy', '02-05T10:00'), // after b's 24-hour window
      event('c', 'View', '02-04T10:00', { color: 'red' }),
      event('c', 'Buy', '02-04T11:00', { price: '2.5' }),
      event('c', 'Cart', '02-04T12:00'),
      event('d', 'View', '02-01T23:00'), // before the range: d enters at its first View in it
      event('d', 'View', '02-05T09:00'),
      event('d', 'Cart', '02-05T10:00'),
      event('d', 'Buy', '02-05T10:30', { price: 4 }),
      event('e', 'Cart', '02-03T10:00'), // never viewed: never in the funnel
      event('f', 'View', '02-08T22:00'),
      event('f', 'Cart', '02-09T21:00'), // after the range, within the window
      event('g', 'View', '02-06T10:00'),
      event('h', 'View', '02-02T09:00'), // merged into a below: a enters at 09:00
      event('x', 'View', '02-02T10:00'), // erased below
      event('x', 'Cart', '02-02T10:10'),
      event('x', 'Buy', '02-02T10:20'),
    ]);
    const [stranger] = await newKnownProfiles(sut, other, 1);
    await ingest(other, [
      { profileId: stranger!, name: 'View', timestamp: at('02-02T10:00') },
      { profileId: stranger!, name: 'Cart', timestamp: at('02-02T10:05') },
    ]);
    await settled();
    // A late event: b's purchase on 02-03 arrives after everything else.
    await ingest(shop, [event('b', 'Buy', '02-03T20:00', { price: 5 })]);
    await publish(ProfileMerged, shop, { profileId: ids.a!, mergedProfileId: ids.h! });
    await publish(ProfileDeleted, shop, { profileId: ids.x! });
    await settled();
    // The merge and the erasure reach the rollups and the raw events through their own consumers.
    await eventually(async () => JSON.stringify((await steps(threeSteps)).map((step) => step.profiles)) === '[6,5,3]', { timeoutMs: 20_000 });
    // privacy's own consumer deletes the erased profile's raw events (the raw path reads them).
    const db = sut.app.get(DataSource);
    await eventually(async () => (await db.query(`SELECT 1 FROM "${sut.schema}".event WHERE project_id = $1 AND profile_id = $2`, [shop, ids.x])).length === 0, { timeoutMs: 20_000 });

    // Stickiness and lifecycle: p active 03-01, 03-02, 03-05, 03-10; q 02-10, 03-03; r 03-03, 03-12.
    const [p, q, r] = await newKnownProfiles(sut, sticky, 3);
    const days: [string, string[]][] = [
      [p!, ['03-01', '03-02', '03-05', '03-10']],
      [q!, ['02-10', '03-03']],
      [r!, ['03-03', '03-12']],
    ];
    ids.p = p!;
    ids.q = q!;
    ids.r = r!;
    await ingest(sticky, days.flatMap(([profileId, list]) => list.map((day) => ({ profileId, name: 'Open', timestamp: at(`${day}T08:00`) }))));
    await settled();
  });
  afterAll(() => sut?.close());

  it('funnel, strict order: each step after the one before within the window of the entry; late events, merges and erasures counted', async () => {
    // a (entered 09:00 as merged h), b (late Buy), d complete; c bought before its cart; f's cart is past the range but in its window; g only viewed.
    expect(await ask(FUNNEL, threeSteps)).toEqual({
      funnel: {
        timeZone: 'UTC',
        order: 'STRICT_ORDER',
        steps: [
          { event: 'View', profiles: 6, conversionFromPrevious: 100, conversionFromFirst: 100, medianSecondsFromPrevious: null },
          // a 7200, b 10800, c 7200, d 3600, f 82800
          { event: 'Cart', profiles: 5, conversionFromPrevious: 83.33, conversionFromFirst: 83.33, medianSecondsFromPrevious: 7200 },
          // a 3600, b 25200, d 1800
          { event: 'Buy', profiles: 3, conversionFromPrevious: 60, conversionFromFirst: 50, medianSecondsFromPrevious: 3600 },
        ],
      },
    });
  });

  it('funnel, any order: later steps anywhere in the window after the entry', async () => {
    expect(await steps({ ...threeSteps, order: 'ANY_ORDER' })).toEqual([
      { event: 'View', profiles: 6, conversionFromPrevious: 100, conversionFromFirst: 100, medianSecondsFromPrevious: null },
      { event: 'Cart', profiles: 5, conversionFromPrevious: 83.33, conversionFromFirst: 83.33, medianSecondsFromPrevious: 7200 },
      // from having done View and Cart to having done Buy too: a 3600, b 25200, c 0, d 1800
      { event: 'Buy', profiles: 4, conversionFromPrevious: 80, conversionFromFirst: 66.67, medianSecondsFromPrevious: 2700 },
    ]);
  });

  it('funnel: property conditions on a step, a window in hours, and the drop-off profiles', async () => {
    const red = await steps({ ...threeSteps, steps: [{ event: 'View', where: [{ property: 'color', op: 'EQ', value: 'red' }] }, { event: 'Cart' }, { event: 'Buy' }] });
    expect(red.map((step) => step.profiles)).toEqual([1, 1, 0]);
    // Within 2 hours: a (Cart 2 h after 09:00 is not < 2 h), c (2 h) out; d (1 h) in.
    expect((await steps({ ...threeSteps, conversionWindow: 2, conversionWindowUnit: 'HOUR' })).map((step) => step.profiles)).toEqual([6, 1, 1]);
    const funnels = sut.app.get(FunnelQuery);
    expect(await funnels.profiles(shop, threeSteps, 2, true)).toEqual([ids.c, ids.f].sort());
    expect(await funnels.profiles(shop, threeSteps, 1, true)).toEqual([ids.g]);
    expect(await funnels.profiles(shop, threeSteps, 3, false)).toEqual([ids.a, ids.b, ids.d].sort());
  });

  it('funnel: local days of the project across the start of DST', async () => {
    const project = randomUUID();
    const [early, late] = await newKnownProfiles(sut, project, 2);
    const set = await sut.query(`mutation { updateAnalyticsSettings(input: { timeZone: "America/New_York" }) { timeZone } }`, {}, secretKeyCaller(project));
    expect(set.errors).toBeUndefined();
    // 03-08T04:30Z is 23:30 EST on March 7th; 03-09T03:30Z is 23:30 EDT on March 8th.
    await ingest(project, [
      { profileId: early!, name: 'View', timestamp: at('03-08T04:30') },
      { profileId: early!, name: 'Cart', timestamp: at('03-08T05:00') },
      { profileId: late!, name: 'View', timestamp: at('03-09T03:30') },
      { profileId: late!, name: 'Cart', timestamp: at('03-09T04:00') },
    ]);
    await settled();
    const input = { steps: [{ event: 'View' }, { event: 'Cart' }], conversionWindow: 1, from: '2026-03-08', to: '2026-03-09' };
    expect((await steps(input, project)).map((step) => [step.profiles, step.medianSecondsFromPrevious])).toEqual([
      [1, null],
      [1, 1800],
    ]);
  });

  it('funnel: a range and windows across UTC months, in a zone ahead of UTC', async () => {
    const project = randomUUID();
    const [p, q, r] = await newKnownProfiles(sut, project, 3);
    const set = await sut.query(`mutation { updateAnalyticsSettings(input: { timeZone: "Asia/Kolkata" }) { timeZone } }`, {}, secretKeyCaller(project));
    expect(set.errors).toBeUndefined();
    // April 1st in Kolkata (UTC+5:30) is 03-31T18:30Z to 04-01T18:30Z.
    await ingest(project, [
      { profileId: p!, name: 'View', timestamp: at('03-31T20:00') }, // in the range, a March time in UTC
      { profileId: p!, name: 'Cart', timestamp: at('04-01T01:00') },
      { profileId: p!, name: 'Buy', timestamp: at('04-01T19:00') }, // after the range, inside p's window
      { profileId: q!, name: 'View', timestamp: at('03-31T18:00') }, // March 31st in Kolkata: before the range
      { profileId: q!, name: 'Cart', timestamp: at('03-31T19:00') }, // before q's entry
      { profileId: q!, name: 'View', timestamp: at('04-01T10:00') },
      { profileId: r!, name: 'View', timestamp: at('04-01T18:00') },
      { profileId: r!, name: 'Cart', timestamp: at('04-02T17:00') },
    ]);
    await settled();
    const input = { steps: [{ event: 'View' }, { event: 'Cart' }, { event: 'Buy' }], conversionWindow: 1, from: '2026-04-01', to: '2026-04-02' };
    expect((await steps(input, project)).map((step) => [step.profiles, step.medianSecondsFromPrevious])).toEqual([
      [3, null],
      [2, (5 * 3600 + 23 * 3600) / 2],
      [1, 18 * 3600],
    ]);
  });

  it('funnel: steps in the next UTC month row, and a window longer than a month', async () => {
    const project = randomUUID();
    const [u, v, w, y, z] = await newKnownProfiles(sut, project, 5);
    await ingest(project, [
      { profileId: u!, name: 'Cart', timestamp: at('05-30T08:00') }, // u's May cart precedes its entry: its step is in the June row
      { profileId: u!, name: 'View', timestamp: at('05-30T10:00') },
      { profileId: u!, name: 'Buy', timestamp: at('05-31T10:00') }, // before u's cart: counts in any order only
      { profileId: u!, name: 'Cart', timestamp: at('06-02T10:00') },
      { profileId: u!, name: 'Buy', timestamp: at('06-03T10:00') },
      { profileId: v!, name: 'View', timestamp: at('05-31T23:00') },
      { profileId: v!, name: 'Cart', timestamp: at('06-01T01:00') },
      { profileId: v!, name: 'Buy', timestamp: at('06-08T00:00') }, // past v's 7-day window, inside 40 days
      { profileId: w!, name: 'View', timestamp: at('05-20T10:00') },
      { profileId: w!, name: 'Cart', timestamp: at('05-21T10:00') },
      { profileId: w!, name: 'Buy', timestamp: at('05-21T12:00') },
      { profileId: w!, name: 'View', timestamp: at('06-01T05:00') }, // a later view: w still enters on 05-20
      { profileId: y!, name: 'View', timestamp: at('05-25T10:00') },
      { profileId: y!, name: 'Cart', timestamp: at('06-10T10:00') }, // 16 days after y's entry
      { profileId: y!, name: 'Buy', timestamp: at('07-01T09:00') }, // a third month, inside 40 days
      { profileId: z!, name: 'View', timestamp: at('05-30T10:00') },
      { profileId: z!, name: 'Cart', timestamp: at('05-30T12:00') },
      { profileId: z!, name: 'Cart', timestamp: at('06-01T09:00') }, // z's step is its May cart: counted once
    ]);
    await settled();
    const input = { steps: [{ event: 'View' }, { event: 'Cart' }, { event: 'Buy' }], conversionWindow: 7, from: '2026-05-15', to: '2026-06-01' };
    const answer = async (question: Record<string, unknown>) => (await steps(question, project)).map((step) => [step.profiles, step.medianSecondsFromPrevious]);
    // Carts: u 3 days, v 2 hours, w 1 day, z 2 hours; buys: u 1 day, w 2 hours.
    expect(await answer(input)).toEqual([
      [5, null],
      [4, (7200 + 86_400) / 2],
      [2, (86_400 + 7200) / 2],
    ]);
    // A range across the month end: each entry from the first month's row, unless the profile has none there.
    expect(await answer({ ...input, to: '2026-06-02' })).toEqual(await answer(input));
    // Any order: u's May purchase counts (0 s after its cart, the later of its two steps).
    expect(await answer({ ...input, order: 'ANY_ORDER' })).toEqual([
      [5, null],
      [4, (7200 + 86_400) / 2],
      [2, 7200 / 2],
    ]);
    // 40 days: y's cart (16 days) and purchase (20 days 23 hours later, in July), v's purchase (6 days 23 hours).
    expect(await answer({ ...input, conversionWindow: 40 })).toEqual([
      [5, null],
      [5, 86_400],
      [4, (86_400 + (6 * 86_400 + 23 * 3600)) / 2],
    ]);
  });

  it('trends: counts per day against the previous period, distinct profiles per day and week, sums and averages, hours, conditions', async () => {
    const views = await ask<{ trends: unknown }>(TRENDS, { event: 'View', measure: 'COUNT', interval: 'DAY', from: '2026-02-02', to: '2026-02-05', compareToPrevious: true });
    expect(views.trends).toEqual({
      timeZone: 'UTC',
      from: '2026-02-02',
      to: '2026-02-05',
      total: 4,
      change: 300,
      points: [
        { start: '2026-02-02', value: 2 },
        { start: '2026-02-03', value: 1 },
        { start: '2026-02-04', value: 1 },
      ],
      previous: {
        from: '2026-01-30',
        to: '2026-02-02',
        total: 1,
        points: [
          { start: '2026-01-30', value: 0 },
          { start: '2026-01-31', value: 0 },
          { start: '2026-02-01', value: 1 },
        ],
      },
    });
    const values = async (input: Record<string, unknown>) => {
      const { trends } = await ask<{ trends: { total: number; points: { value: number }[] } }>(TRENDS, input);
      return [trends.points.map((point) => point.value), trends.total];
    };
    expect(await values({ measure: 'UNIQUE_PROFILES', interval: 'DAY', from: '2026-02-02', to: '2026-02-05' })).toEqual([[1, 2, 1], 4]);
    expect(await values({ measure: 'UNIQUE_PROFILES', interval: 'WEEK', from: '2026-02-02', to: '2026-02-16' })).toEqual([[7, 1], 7]);
    const prices = { event: 'Buy', property: 'price', interval: 'DAY', from: '2026-02-02', to: '2026-02-06' };
    expect(await values({ ...prices, measure: 'SUM' })).toEqual([[10, 5, 2.5, 4], 21.5]);
    expect(await values({ ...prices, measure: 'AVERAGE' })).toEqual([[10, 5, 2.5, 4], 5.375]);
    const hourly = await values({ event: 'View', measure: 'COUNT', interval: 'HOUR', from: '2026-02-02', to: '2026-02-03' });
    expect(hourly).toEqual([Array.from({ length: 24 }, (_, hour) => (hour === 9 || hour === 10 ? 1 : 0)), 2]);
    expect(await values({ event: 'View', where: [{ property: 'color', op: 'EQ', value: 'red' }], measure: 'COUNT', interval: 'DAY', from: '2026-02-03', to: '2026-02-05' })).toEqual([[0, 1], 1]);
  });

  it('stickiness: DAU, WAU, MAU per day and active days per week', async () => {
    const { stickiness } = await ask<{ stickiness: unknown }>(STICKINESS, { from: '2026-03-01', to: '2026-03-08' }, sticky);
    const day = (date: string, dau: number, wau: number, mau: number, dauOverMau: number) => ({ day: `2026-03-${date}`, dau, wau, mau, dauOverMau });
    expect(stickiness).toEqual({
      timeZone: 'UTC',
      days: [day('01', 1, 1, 2, 50), day('02', 1, 1, 2, 50), day('03', 2, 3, 3, 66.67), day('04', 0, 3, 3, 0), day('05', 1, 3, 3, 33.33), day('06', 0, 3, 3, 0), day('07', 0, 3, 3, 0)],
      weeks: [
        { start: '2026-03-01', profilesByActiveDays: [1, 0, 0, 0, 0, 0, 0] },
        { start: '2026-03-02', profilesByActiveDays: [2, 1, 0, 0, 0, 0, 0] },
      ],
    });
  });

  it('lifecycle: new, returning, resurrecting and dormant per week, and the profiles in a state', async () => {
    const { lifecycle } = await ask<{ lifecycle: unknown }>(LIFECYCLE, { interval: 'WEEK', from: '2026-03-02', to: '2026-03-16' }, sticky);
    expect(lifecycle).toEqual({
      timeZone: 'UTC',
      intervals: [
        { start: '2026-03-02', new: 1, returning: 1, resurrecting: 1, dormant: 0 },
        { start: '2026-03-09', new: 0, returning: 2, resurrecting: 0, dormant: 1 },
      ],
    });
    const question = { interval: 'WEEK' as const, from: '2026-03-02', to: '2026-03-16' };
    expect(await sut.app.get(LifecycleQuery).profiles(sticky, question, 'DORMANT', '2026-03-09')).toEqual([ids.q]);
    expect(await sut.app.get(LifecycleQuery).profiles(sticky, question, 'NEW', '2026-03-02')).toEqual([ids.r]);
  });

  it('filters every question by profile properties and by event properties', async () => {
    // a and b are on the pro plan (profiles' snapshots, as analytics keeps them for filters).
    const snapshot = (profileId: string, plan: string) => profileSnapshot(profileId, { plan });
    for (const who of ['a', 'b'] as const) await publish(ProfileChanged, shop, snapshot(ids[who]!, 'pro'));
    await publish(ProfileChanged, shop, snapshot(ids.c!, 'free'));
    await eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(sut.messaging.subjects.streamName('profiles'), ANALYTICS_PROFILE_CHANGED_DURABLE);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    const pro = { profile: [{ property: 'plan', op: 'EQ', value: 'pro' }] };
    const red = { event: [{ property: 'color', op: 'EQ', value: 'red' }] };
    expect((await steps({ ...threeSteps, filter: pro })).map((step) => step.profiles)).toEqual([2, 2, 2]);
    // Every step's event must be red: only c's View is.
    expect((await steps({ ...threeSteps, filter: red })).map((step) => step.profiles)).toEqual([1, 0, 0]);
    const trend = await ask<{ trends: { total: number; points: { value: number }[] } }>(TRENDS, { measure: 'UNIQUE_PROFILES', interval: 'DAY', from: '2026-02-02', to: '2026-02-05', filter: pro });
    expect([trend.trends.points.map((point) => point.value), trend.trends.total]).toEqual([[1, 1, 0], 2]);
    const redTrend = await ask<{ trends: { total: number } }>(TRENDS, { measure: 'COUNT', interval: 'DAY', from: '2026-02-02', to: '2026-02-09', filter: red });
    expect(redTrend.trends.total).toBe(1);
    const { stickiness } = await ask<{ stickiness: { days: { dau: number }[] } }>(STICKINESS, { from: '2026-02-02', to: '2026-02-06', filter: pro });
    // a on 02-02; b on 02-03 and 02-05 (its late Buy on 02-03 too).
    expect(stickiness.days.map((day) => day.dau)).toEqual([1, 1, 0, 1]);
    const { lifecycle } = await ask<{ lifecycle: { intervals: { new: number; returning: number; resurrecting: number; dormant: number }[] } }>(LIFECYCLE, {
      interval: 'WEEK',
      from: '2026-02-02',
      to: '2026-02-16',
      filter: pro,
    });
    expect(lifecycle.intervals).toEqual([
      { start: '2026-02-02', new: 2, returning: 0, resurrecting: 0, dormant: 0 },
      { start: '2026-02-09', new: 0, returning: 0, resurrecting: 0, dormant: 2 },
    ]);
  });

  it('refuses bad questions naming the field, and publishable keys', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [FUNNEL, { ...threeSteps, steps: [{ event: 'View' }] }, 'input.steps'],
      [FUNNEL, { ...threeSteps, conversionWindow: 0 }, 'input.conversionWindow'],
      [FUNNEL, { ...threeSteps, conversionWindow: 400 }, 'input.conversionWindow'],
      [FUNNEL, { ...threeSteps, steps: [{ event: 'View', where: [{ property: 'a..b', op: 'EQ', value: 1 }] }, { event: 'Cart' }] }, 'input.steps[0].where[0].property'],
      [TRENDS, { measure: 'COUNT', interval: 'DAY', from: '2026-02-02', to: '2026-02-05', filter: { profile: [{ property: 'plan', op: 'BETWEEN', values: [1] }] } }, 'input.filter.profile[0].values'],
      [FUNNEL, { ...threeSteps, from: '2026-02-30' }, 'input.from'],
      [TRENDS, { measure: 'SUM', interval: 'DAY', from: '2026-02-02', to: '2026-02-05' }, 'input.property'],
      [TRENDS, { measure: 'COUNT', interval: 'HOUR', from: '2026-01-01', to: '2026-03-01' }, 'input.to'],
      [STICKINESS, { from: '2026-03-08', to: '2026-03-01' }, 'input.to'],
      [LIFECYCLE, { interval: 'DAY', from: '2026-03-01', to: '2028-03-01' }, 'input.to'],
    ];
    for (const [query, input, field] of cases) {
      const answer = await sut.query(query, { input }, secretKeyCaller(shop));
      expect([field, answer.errors?.[0]?.extensions]).toEqual([field, expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    }
    const publishable = await sut.query(FUNNEL, { input: threeSteps }, publishableKeyCaller(shop));
    expect(publishable.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
