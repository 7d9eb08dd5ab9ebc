import { randomUUID } from 'node:crypto';
import { ProfileIdentified } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { newKnownProfiles, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph } from './support.js';

const UNINSTALLS = `query($input: UninstallsInput!) { uninstalls(input: $input) { uninstallEvent cohorts { start size uninstalled percentage byInterval medianDays meanDays } } }`;
const REFERRALS = `query($input: ReferralsInput!) { referrals(input: $input) {
  installs referredInstalls referredPayers referredRevenue referrers top { referrer referrerProfileId installs payers revenue } } }`;

/** Uninstalls per cohort and referrals per referrer, against hand-computed answers. */
describe('analytics uninstalls and referrals', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  let alice: string;
  const ingest = (events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));
  const at = (day: string) => new Date(`${day}T12:00:00Z`);
  const ask = async <T>(query: string, input: Record<string, unknown>) => {
    const answer = await sut.query<T>(query, { input }, secretKeyCaller(projectId));
    expect(answer.errors).toBeUndefined();
    return answer.data!;
  };

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    const [u1, u2, u3, u4, u5, referrer] = await newKnownProfiles(sut, projectId, 6);
    alice = referrer!;
    // The referrer "alice" is a user id events knows (linked to a profile); "bob" is not.
    await sut.messaging.js.publish(
      sut.messaging.subjects.subject(ProfileIdentified, projectId),
      JSON.stringify({ projectId, occurredAt: new Date().toISOString(), profileId: alice, userId: 'alice', anonymousIds: [] }),
      { msgID: randomUUID() },
    );
    await ingest([
      { profileId: u1, name: 'Install', properties: { referrer: 'alice' }, timestamp: at('2026-01-05') },
      { profileId: u1, name: 'App Uninstalled', timestamp: at('2026-01-05') },
      { profileId: u1, name: 'Charged', properties: { Amount: 10 }, timestamp: at('2026-01-06') },
      { profileId: u2, name: 'Install', properties: { referrer: 'alice' }, timestamp: at('2026-01-05') },
      { profileId: u2, name: 'App Uninstalled', timestamp: at('2026-01-07') },
      { profileId: u3, name: 'Install', properties: { referrer: 'bob' }, timestamp: at('2026-01-05') },
      { profileId: u3, name: 'Charged', properties: { Amount: 5 }, timestamp: at('2026-01-05') },
      { profileId: u3, name: 'Charged', properties: { Amount: '7' }, timestamp: at('2026-01-20') },
      { profileId: u4, name: 'Install', properties: {}, timestamp: at('2026-01-06') },
      { profileId: u4, name: 'App Uninstalled', timestamp: at('2026-01-10') },
      { profileId: u5, name: 'Install', properties: { referrer: '' }, timestamp: at('2026-01-06') },
    ]);
    await consumersSettled(sut);
  });
  afterAll(() => sut?.close());

  it('uninstall rate per cohort, the interval of the uninstall and days to it', async () => {
    const answer = await ask<{ uninstalls: unknown }>(UNINSTALLS, { startEvent: 'Install', interval: 'DAY', intervals: 3, from: '2026-01-05', to: '2026-01-07' });
    expect(answer.uninstalls).toEqual({
      uninstallEvent: 'App Uninstalled',
      cohorts: [
        // u1 on day 0, u2 on day 2; u3 stays.
        { start: '2026-01-05', size: 3, uninstalled: 2, percentage: 66.67, byInterval: [1, 0, 1], medianDays: 1, meanDays: 1 },
        // u4 on day 4 (past the intervals shown, still counted); u5 stays.
        { start: '2026-01-06', size: 2, uninstalled: 1, percentage: 50, byInterval: [0, 0, 0], medianDays: 4, meanDays: 4 },
      ],
    });
  });

  it('referrer → referred installs → their revenue, per referrer, the referrer matched to its profile', async () => {
    const question = { installEvent: 'Install', from: '2026-01-05', to: '2026-01-07' };
    expect((await ask<{ referrals: unknown }>(REFERRALS, question)).referrals).toEqual({
      installs: 5,
      referredInstalls: 3,
      referredPayers: 2,
      referredRevenue: 22,
      referrers: 2,
      top: [
        { referrer: 'alice', referrerProfileId: alice, installs: 2, payers: 1, revenue: 10 },
        { referrer: 'bob', referrerProfileId: null, installs: 1, payers: 1, revenue: 12 },
      ],
    });
    // Revenue of their first 7 days only: bob's referral paid 7 more on day 15.
    const week = (await ask<{ referrals: { referredRevenue: number; top: { revenue: number }[] } }>(REFERRALS, { ...question, revenueDays: 7, limit: 1 })).referrals;
    expect([week.referredRevenue, week.top.map((row) => row.revenue)]).toEqual([15, [10]]);
  });

  it('refuses bad questions naming the field', async () => {
    for (const [query, input, field] of [
      [REFERRALS, { from: '2026-01-05', to: '2026-01-07', revenueDays: 0 }, 'input.revenueDays'],
      [REFERRALS, { from: '2026-01-05', to: '2026-01-07', referrerProperty: 'a..b' }, 'input.referrerProperty'],
      [UNINSTALLS, { interval: 'DAY', intervals: 3, from: '2026-01-05', to: '2026-01-07', uninstallEvent: '' }, 'input.uninstallEvent'],
    ] as const) {
      const answer = await sut.query(query, { input }, secretKeyCaller(projectId));
      expect([field, answer.errors?.[0]?.extensions]).toEqual([field, expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    }
  });
});
