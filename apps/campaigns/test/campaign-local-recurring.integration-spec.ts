import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ProfileChanged } from '@boomerang/contracts';
import { Clock } from '@boomerang/platform/subgraph';
import { consumedUpTo, publishMessage, secretKeyCaller, seedKnownProfiles, type TestMessaging, type TestSubgraph } from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';
import { PROFILE_ZONES_DURABLE, ProfileZones } from '../src/audience/profile-zones.js';
import { RunOccurrence } from '../src/delivery/run-occurrence.js';

/**
 * "Every Saturday 09:00 local": March–April 2027 crosses both DST edges — New York springs forward
 * on 14 March, Europe on 28 March — so the UTC instant of 09:00 moves a week apart per zone.
 */
const SATURDAYS = ['2027-03-13', '2027-03-20', '2027-03-27', '2027-04-03'];
const EXPECTED: Record<string, string[]> = {
  'Asia/Tokyo': ['2027-03-13T00:00', '2027-03-20T00:00', '2027-03-27T00:00', '2027-04-03T00:00'],
  'Europe/London': ['2027-03-13T09:00', '2027-03-20T09:00', '2027-03-27T09:00', '2027-04-03T08:00'],
  'Europe/Berlin': ['2027-03-13T08:00', '2027-03-20T08:00', '2027-03-27T08:00', '2027-04-03T07:00'],
  'America/New_York': ['2027-03-13T14:00', '2027-03-20T13:00', '2027-03-27T13:00', '2027-04-03T13:00'],
};

describe('recurring sends at a local time in each profile’s zone', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;
  let harness: CampaignsHarness;
  let clock: Clock;

  beforeAll(async () => {
    harness = await startCampaigns();
    ({ sut, messaging } = harness);
    clock = sut.app.get(Clock);
  });
  afterAll(() => harness?.close());
  afterEach(() => jest.restoreAllMocks());

  const db = () => sut.app.get(DataSource);
  const gql = async <T>(projectId: string, query: string, variables: Record<string, unknown> = {}) => {
    const result = await sut.query<T>(query, variables, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!;
  };
  const snapshot = (projectId: string, profileId: string, timeZone: string | null, updatedAt: Date) => ({
    projectId,
    occurredAt: updatedAt.toISOString(),
    profileId,
    externalId: null,
    properties: {},
    attributes: { email: true as const, phone: null, name: null, timeZone, locale: null, createdAt: updatedAt.toISOString(), emailSubscribed: true, smsSubscribed: null, pushSubscribed: null, whatsappSubscribed: null, phoneDnd: null },
    contact: { email: 'x@example.com', phone: null },
    updatedAt: updatedAt.toISOString(),
  });
  const createWeekly = async (projectId: string, extra: Record<string, unknown> = {}) => {
    const { createCampaign } = await gql<{ createCampaign: { id: string; schedule: { inProfileTimeZone: boolean; rrule: string; catchUpLateZones: boolean } } }>(
      projectId,
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id schedule { inProfileTimeZone rrule catchUpLateZones } } }`,
      {
        input: {
          name: 'Saturday 09:00 local',
          channel: 'EMAIL',
          email: { templateId: randomUUID(), templateVersion: 1 },
          audience: { everyone: true },
          // Wall-clock start and end read in UTC: the first Saturday at 09:00, nothing after the fourth.
          schedule: { startAt: '2027-03-13T09:00:00Z', timeZone: 'UTC', rrule: 'FREQ=WEEKLY;BYDAY=SA', endAt: '2027-04-04T00:00:00Z', inProfileTimeZone: true, ...extra },
        },
      },
    );
    await gql(projectId, `mutation($id: ID!) { scheduleCampaign(id: $id) { status } }`, { id: createCampaign.id });
    return createCampaign;
  };
  const pending = (campaignIds: string[]) =>
    db().query(`SELECT campaign_id, occurrence_at FROM campaign_occurrence WHERE campaign_id = ANY($1::uuid[]) AND status <> 'done' ORDER BY occurrence_at, campaign_id`, [campaignIds]) as Promise<
      { campaign_id: string; occurrence_at: Date }[]
    >;
  /** Runs the campaigns' occurrences in time order, each with the clock at its instant, until `until` (or none is left). */
  const runUntil = async (projectId: string, campaignIds: string[], until = new Date('2100-01-01')) => {
    for (;;) {
      const [next] = await pending(campaignIds);
      if (!next || next.occurrence_at > until) return;
      jest.spyOn(clock, 'now').mockReturnValue(next.occurrence_at);
      await sut.app.get(RunOccurrence).execute({ projectId, campaignId: next.campaign_id, occurrenceAt: next.occurrence_at.toISOString() });
    }
  };
  const sendsOf = async (campaignId: string) => {
    const rows = (await db().query(`SELECT profile_id, occurrence_at FROM campaign_delivery WHERE campaign_id = $1 AND outcome = 'requested' ORDER BY occurrence_at`, [campaignId])) as {
      profile_id: string;
      occurrence_at: Date;
    }[];
    const byProfile = new Map<string, string[]>();
    for (const row of rows) byProfile.set(row.profile_id, [...(byProfile.get(row.profile_id) ?? []), row.occurrence_at.toISOString().slice(0, 16)]);
    return byProfile;
  };
  const statusOf = async (campaignId: string) => ((await db().query(`SELECT status FROM campaign WHERE id = $1`, [campaignId])) as { status: string }[])[0]!.status;

  it('every Saturday 09:00 in each profile’s zone, across both DST edges, start and end respected, once per profile and Saturday', async () => {
    const projectId = randomUUID();
    const people = Object.keys(EXPECTED).map((zone) => ({ zone, profileId: randomUUID() }));
    const zoneless = randomUUID();
    await seedKnownProfiles(sut, projectId, [...people.map((person) => person.profileId), zoneless]);
    const learnt = new Date('2027-03-01T00:00:00Z');
    // One zone through the real consumer, the others through its handler.
    const [first, ...rest] = people;
    const ack = await publishMessage(messaging, ProfileChanged, projectId, snapshot(projectId, first!.profileId, first!.zone, learnt));
    await consumedUpTo(messaging, 'profiles', PROFILE_ZONES_DURABLE, ack);
    await db().transaction((manager) => sut.app.get(ProfileZones).apply(manager, rest.map((person) => snapshot(projectId, person.profileId, person.zone, learnt))));
    await gql(projectId, `mutation { configureCampaignDelivery(input: { timeZone: "Europe/Berlin" }) { timeZone } }`);

    jest.spyOn(clock, 'now').mockReturnValue(new Date('2027-03-10T00:00:00Z'));
    const campaign = await createWeekly(projectId);
    expect(campaign.schedule).toEqual({ inProfileTimeZone: true, rrule: 'FREQ=WEEKLY;BYDAY=SA', catchUpLateZones: false });
    // Only the first Saturday is scheduled ahead: its four instants (Berlin's shared with the zoneless profile) and the closing row.
    expect((await pending([campaign.id])).map((row) => row.occurrence_at.toISOString().slice(0, 16))).toEqual([
      '2027-03-13T00:00', '2027-03-13T08:00', '2027-03-13T09:00', '2027-03-13T14:00', '2027-03-13T21:00',
    ]);
    await runUntil(projectId, [campaign.id]);

    const sends = await sendsOf(campaign.id);
    for (const { zone, profileId } of people) expect([zone, sends.get(profileId)]).toEqual([zone, EXPECTED[zone]]);
    expect(sends.get(zoneless)).toEqual(EXPECTED['Europe/Berlin']); // the project's zone
    expect(await statusOf(campaign.id)).toBe('completed');
    const [{ series }] = await db().query(`SELECT count(DISTINCT series_at)::int AS series FROM campaign_occurrence WHERE campaign_id = $1`, [campaign.id]);
    expect(series).toBe(SATURDAYS.length);
  });

  it('a zone learnt while the campaign is paused gets its row when it resumes', async () => {
    const projectId = randomUUID();
    const denver = randomUUID();
    await seedKnownProfiles(sut, projectId, [denver]);
    await gql(projectId, `mutation { configureCampaignDelivery(input: { timeZone: "Europe/Berlin" }) { timeZone } }`);
    jest.spyOn(clock, 'now').mockReturnValue(new Date('2027-03-10T00:00:00Z'));
    const campaign = await createWeekly(projectId);
    await gql(projectId, `mutation($id: ID!) { pauseCampaign(id: $id) { status } }`, { id: campaign.id });
    const learnt = new Date('2027-03-11T00:00:00Z');
    jest.spyOn(clock, 'now').mockReturnValue(learnt);
    await db().transaction((manager) => sut.app.get(ProfileZones).apply(manager, [snapshot(projectId, denver, 'America/Denver', learnt)]));
    const denverRow = `SELECT occurrence_at FROM campaign_occurrence WHERE campaign_id = $1 AND 'America/Denver' = ANY(time_zones)`;
    expect(await db().query(denverRow, [campaign.id])).toEqual([]); // paused: not followed
    await gql(projectId, `mutation($id: ID!) { resumeCampaign(id: $id) { status } }`, { id: campaign.id });
    const [row] = await db().query(denverRow, [campaign.id]);
    expect(row.occurrence_at.toISOString()).toBe('2027-03-13T16:00:00.000Z'); // 09:00 MST
    await runUntil(projectId, [campaign.id], new Date('2027-03-14T00:00:00Z'));
    expect((await sendsOf(campaign.id)).get(denver)).toEqual(['2027-03-13T16:00']);
  });

  it('a series row resumed more than 12 hours late is closed unsent; its profiles get the next series', async () => {
    const projectId = randomUUID();
    const [tokyo, newYork] = [randomUUID(), randomUUID()];
    await seedKnownProfiles(sut, projectId, [tokyo, newYork]);
    const learnt = new Date('2027-03-01T00:00:00Z');
    await db().transaction((manager) => sut.app.get(ProfileZones).apply(manager, [snapshot(projectId, tokyo, 'Asia/Tokyo', learnt), snapshot(projectId, newYork, 'America/New_York', learnt)]));
    await gql(projectId, `mutation { configureCampaignDelivery(input: { timeZone: "Asia/Tokyo" }) { timeZone } }`);
    jest.spyOn(clock, 'now').mockReturnValue(new Date('2027-03-10T00:00:00Z'));
    const campaign = await createWeekly(projectId);
    await runUntil(projectId, [campaign.id], new Date('2027-03-13T01:00:00Z')); // Tokyo's 09:00 has run
    // New York's row (14:00 UTC) runs only on Sunday 02:00 UTC: 12 h late, still sent.
    jest.spyOn(clock, 'now').mockReturnValue(new Date('2027-03-14T02:00:00Z'));
    await sut.app.get(RunOccurrence).execute({ projectId, campaignId: campaign.id, occurrenceAt: '2027-03-13T14:00:00.000Z' });
    expect((await sendsOf(campaign.id)).get(newYork)).toEqual(['2027-03-13T14:00']);
    // A Lisbon row of that Saturday (09:00 UTC) run then, 17 h late (a resume or a restart): closed unsent.
    const stale = await seedKnownProfiles(sut, projectId, [randomUUID()]);
    await db().transaction((manager) => sut.app.get(ProfileZones).apply(manager, [snapshot(projectId, stale[0]!, 'Europe/Lisbon', learnt)]));
    await db().query(`INSERT INTO campaign_occurrence (campaign_id, occurrence_at, project_id, time_zones, series_at) VALUES ($1, '2027-03-13T09:00:00Z', $2, '{Europe/Lisbon}', '2027-03-13T09:00:00Z')`, [campaign.id, projectId]);
    await sut.app.get(RunOccurrence).execute({ projectId, campaignId: campaign.id, occurrenceAt: '2027-03-13T09:00:00.000Z' });
    expect((await sendsOf(campaign.id)).get(stale[0]!)).toBeUndefined();
    const [row] = await db().query(`SELECT status FROM campaign_occurrence WHERE campaign_id = $1 AND occurrence_at = '2027-03-13T09:00:00Z'`, [campaign.id]);
    expect(row.status).toBe('done');
    // The next Saturday is scheduled, Lisbon in it.
    const [lisbon] = await db().query(`SELECT occurrence_at FROM campaign_occurrence WHERE campaign_id = $1 AND 'Europe/Lisbon' = ANY(time_zones) AND status = 'pending'`, [campaign.id]);
    expect(lisbon.occurrence_at.toISOString()).toBe('2027-03-20T09:00:00.000Z');
  });

  it('a zone learnt or changed after scheduling: sent at its local time, once; a time already past today is caught up only when the campaign says so', async () => {
    const projectId = randomUUID();
    const [tokyo, mover, newcomer, late] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await seedKnownProfiles(sut, projectId, [tokyo, mover, newcomer, late]);
    const learnt = new Date('2027-03-01T00:00:00Z');
    await db().transaction((manager) => sut.app.get(ProfileZones).apply(manager, [snapshot(projectId, tokyo, 'Asia/Tokyo', learnt), snapshot(projectId, mover, 'Asia/Tokyo', learnt)]));
    await gql(projectId, `mutation { configureCampaignDelivery(input: { timeZone: "Europe/Berlin" }) { timeZone } }`);
    jest.spyOn(clock, 'now').mockReturnValue(new Date('2027-03-10T00:00:00Z'));
    const catchingUp = await createWeekly(projectId, { catchUpLateZones: true });
    const waiting = await createWeekly(projectId);
    const both = [catchingUp.id, waiting.id];

    // Saturday 13 March, 05:00 UTC: Tokyo has had its 09:00. Then: the mover (sent in Tokyo) moves to New York; the newcomer
    // (no zone: Berlin's row at 08:00) turns out to be in Los Angeles, a zone no row has; `late` is learnt in Kolkata,
    // where 09:00 (03:30 UTC) has passed but it is still Saturday.
    await runUntil(projectId, both, new Date('2027-03-13T05:00:00Z'));
    const moved = new Date('2027-03-13T05:00:00Z');
    jest.spyOn(clock, 'now').mockReturnValue(moved);
    await db().transaction((manager) =>
      sut.app.get(ProfileZones).apply(manager, [
        snapshot(projectId, mover, 'America/New_York', moved),
        snapshot(projectId, newcomer, 'America/Los_Angeles', moved),
        snapshot(projectId, late, 'Asia/Kolkata', moved),
      ]),
    );
    // The same snapshots again (a redelivery) change nothing.
    await db().transaction((manager) => sut.app.get(ProfileZones).apply(manager, [snapshot(projectId, late, 'Asia/Kolkata', moved)]));
    await runUntil(projectId, both, new Date('2027-03-20T05:00:00Z'));

    for (const campaignId of both) {
      const sends = await sendsOf(campaignId);
      expect(sends.get(tokyo)).toEqual(['2027-03-13T00:00', '2027-03-20T00:00']);
      expect(sends.get(mover)).toEqual(['2027-03-13T00:00']); // not again at 09:00 in New York (14:00 UTC) that Saturday
      expect(sends.get(newcomer)).toEqual(['2027-03-13T17:00']); // 09:00 PST, not at Berlin's 08:00 UTC
    }
    // Kolkata: caught up at the next minute by the campaign that says so; the other waits for next Saturday's 09:00 IST (03:30 UTC).
    expect((await sendsOf(catchingUp.id)).get(late)).toEqual(['2027-03-13T05:00', '2027-03-20T03:30']);
    expect((await sendsOf(waiting.id)).get(late)).toEqual(['2027-03-20T03:30']);
  });
});
