import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { eventually } from '@boomerang/platform/testing';
import { bearer, startTestPlatform, type RunningPlatform } from '../../../tools/dev/test-platform.js';

const RETENTION = `query($input: RetentionInput!) { retention(input: $input) { cohorts { start size counts } } }`;
const FUNNEL = `query($input: FunnelInput!) { funnel(input: $input) { steps { event profiles medianSecondsFromPrevious } } }`;
const SAVE_COHORT = `mutation($input: SaveAnalyticsCohortInput!) { saveAnalyticsCohort(input: $input) { profiles segment { id } } }`;
const SEGMENT = `query($id: ID!) { segment(id: $id) { name kind size } }`;

const DAY_MS = 86_400_000;

/**
 * Analytics through the whole platform: events sent by an unmodified Segment client to the
 * ingestion API reach the rollups through the EVENTS stream; a retention matrix and a funnel are
 * answered through the gateway with the numbers worked out by hand, the funnel's drop-off becomes
 * a segment in `segments`, and a publishable key is refused.
 */
describe('analytics end to end', () => {
  let platform: RunningPlatform;
  let secretKey: string;
  let publishableKey: string;
  // The Monday six weeks back (UTC): week 0 of the questions.
  const now = Date.now();
  const monday = Math.floor(now / DAY_MS) * DAY_MS - ((new Date(now).getUTCDay() + 6) % 7) * DAY_MS - 6 * 7 * DAY_MS;
  const at = (day: number, hour: number, minute = 0) => new Date(monday + day * DAY_MS + hour * 3_600_000 + minute * 60_000);
  const date = (day: number) => new Date(monday + day * DAY_MS).toISOString().slice(0, 10);

  beforeAll(async () => {
    platform = await startTestPlatform();
    const created = await platform.graphql<{ createProject: { publishableKey: { key: string }; secretKey: { key: string } } }>(
      `mutation { createProject(input: { name: "Analytics e2e" }) { publishableKey { key } secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    expect(created.errors).toBeUndefined();
    secretKey = created.data!.createProject.secretKey.key;
    publishableKey = created.data!.createProject.publishableKey.key;
  }, 240_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('answers retention and a funnel from events sent through the ingestion API, saves the drop-off as a segment, refuses publishable keys', async () => {
    const run = randomUUID().slice(0, 8);
    const users = { ada: `ada-${run}`, bo: `bo-${run}`, cy: `cy-${run}` };
    const analytics = new Analytics({ writeKey: secretKey, host: platform.ingestUrl, path: '/v1/batch', flushAt: 20, maxRetries: 3 });
    for (const userId of Object.values(users)) analytics.identify({ userId, traits: { plan: 'pro' } });
    const track = (userId: string, event: string, timestamp: Date) => analytics.track({ userId, event, timestamp, properties: {} });
    // Week 0: ada views, carts and buys on Monday; bo views and carts on Tuesday. Week 1: ada is back; cy views.
    track(users.ada, 'View', at(0, 10));
    track(users.ada, 'Cart', at(0, 11));
    track(users.ada, 'Buy', at(0, 12));
    track(users.bo, 'View', at(1, 10));
    track(users.bo, 'Cart', at(1, 10, 30));
    track(users.ada, 'Open', at(8, 9));
    track(users.cy, 'View', at(8, 9));
    await analytics.closeAndFlush();

    const retention = async () =>
      platform.graphql<{ retention: { cohorts: { start: string; size: number; counts: number[] }[] } }>(
        RETENTION,
        { input: { interval: 'WEEK', intervals: 2, from: date(0), to: date(14) } },
        bearer(secretKey),
      );
    // The rollups follow the EVENTS stream (and fold in events that waited for their profile's identify).
    const answered = await eventually(
      async () => {
        const answer = await retention();
        const cohorts = answer.data?.retention.cohorts;
        return cohorts && cohorts[0]?.size === 2 && cohorts[1]?.size === 1 && cohorts[0].counts[1] === 1 ? cohorts : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(answered).toEqual([
      { start: date(0), size: 2, counts: [2, 1] },
      { start: date(7), size: 1, counts: [1, 0] },
    ]);

    const question = { steps: [{ event: 'View' }, { event: 'Cart' }, { event: 'Buy' }], conversionWindow: 1, from: date(0), to: date(14) };
    const funnel = await platform.graphql<{ funnel: { steps: { event: string; profiles: number; medianSecondsFromPrevious: number | null }[] } }>(
      FUNNEL,
      { input: question },
      bearer(secretKey),
    );
    expect(funnel.errors).toBeUndefined();
    expect(funnel.data!.funnel.steps).toEqual([
      { event: 'View', profiles: 3, medianSecondsFromPrevious: null },
      // ada 3600 s, bo 1800 s
      { event: 'Cart', profiles: 2, medianSecondsFromPrevious: 2700 },
      { event: 'Buy', profiles: 1, medianSecondsFromPrevious: 3600 },
    ]);

    // Who carted but did not buy (bo) becomes a STATIC segment in segments, reachable through the gateway.
    const saved = await platform.graphql<{ saveAnalyticsCohort: { profiles: number; segment: { id: string } } }>(
      SAVE_COHORT,
      { input: { name: `Carted, not bought ${run}`, funnel: { question, step: 2 } } },
      bearer(secretKey),
    );
    expect(saved.errors).toBeUndefined();
    expect(saved.data!.saveAnalyticsCohort.profiles).toBe(1);
    const segment = await platform.graphql<{ segment: { name: string; kind: string; size: number } }>(SEGMENT, { id: saved.data!.saveAnalyticsCohort.segment.id }, bearer(secretKey));
    expect(segment.errors).toBeUndefined();
    expect(segment.data!.segment).toEqual({ name: `Carted, not bought ${run}`, kind: 'STATIC', size: 1 });

    const refused = await platform.graphql(FUNNEL, { input: question }, bearer(publishableKey));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.data ?? null).toBeNull();
  });
});
