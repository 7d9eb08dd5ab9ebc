import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ProfileChanged } from '@boomerang/contracts';
import {
  consumedUpTo,
  publishMessage,
  secretKeyCaller,
  seedKnownProfiles,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';
import { PROFILE_ZONES_DURABLE, ProfileZones } from '../src/audience/profile-zones.js';
import { localTimeInstants } from '../src/delivery/local-time.js';
import { RunOccurrence } from '../src/delivery/run-occurrence.js';

const ZONES = [
  'Pacific/Honolulu', 'America/Anchorage', 'America/Los_Angeles', 'America/Denver', 'America/Chicago', 'America/New_York', 'America/Caracas', 'America/Sao_Paulo',
  'America/St_Johns', 'Atlantic/Azores', 'Atlantic/Reykjavik', 'Europe/London', 'Europe/Lisbon', 'Europe/Berlin', 'Europe/Paris', 'Africa/Lagos', 'Europe/Athens',
  'Africa/Cairo', 'Europe/Istanbul', 'Europe/Moscow', 'Asia/Tehran', 'Asia/Dubai', 'Asia/Kabul', 'Asia/Karachi', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Dhaka',
  'Asia/Yangon', 'Asia/Bangkok', 'Asia/Shanghai', 'Asia/Singapore', 'Australia/Eucla', 'Asia/Tokyo', 'Australia/Darwin', 'Australia/Adelaide', 'Australia/Sydney',
  'Australia/Lord_Howe', 'Pacific/Noumea', 'Pacific/Auckland', 'Pacific/Chatham',
];

describe('sends at a local time in each profile’s zone', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;
  let harness: CampaignsHarness;

  beforeAll(async () => {
    harness = await startCampaigns();
    ({ sut, messaging } = harness);
  });
  afterAll(() => harness?.close());

  it('40 zones each get it at 10:00 their time (DST-correct), profiles without a zone at 10:00 in the project’s, and the last occurrence completes the campaign', async () => {
    expect(new Set(ZONES).size).toBe(40);
    const projectId = randomUUID();
    const profiles = ZONES.map((zone) => ({ profileId: randomUUID(), zone }));
    const zoneless = [randomUUID(), randomUUID()];
    await seedKnownProfiles(sut, projectId, [...profiles.map((profile) => profile.profileId), ...zoneless]);
    const snapshot = (profileId: string, timeZone: string | null) => ({
      profileId,
      externalId: null,
      properties: {},
      attributes: { email: true as const, phone: null, name: null, timeZone, locale: null, createdAt: new Date().toISOString(), emailSubscribed: true, smsSubscribed: null, pushSubscribed: null, whatsappSubscribed: null, phoneDnd: null },
      contact: { email: 'x@example.com', phone: null },
      updatedAt: new Date().toISOString(),
    });
    // One zone learnt through the real consumer (ProfileChanged on the PROFILES stream), the others through its handler directly.
    const [first, ...rest] = profiles;
    const ack = await publishMessage(messaging, ProfileChanged, projectId, snapshot(first!.profileId, first!.zone));
    await consumedUpTo(messaging, 'profiles', PROFILE_ZONES_DURABLE, ack);
    const occurredAt = new Date().toISOString();
    await sut.app.get(DataSource).transaction((manager) => sut.app.get(ProfileZones).apply(manager, rest.map((profile) => ({ projectId, occurredAt, ...snapshot(profile.profileId, profile.zone) }))));
    await sut.query(`mutation { configureCampaignDelivery(input: { timeZone: "Europe/Berlin" }) { timeZone } }`, {}, secretKeyCaller(projectId));

    // 10:00 on the Sunday Europe moves to summer time (2027-03-28, ahead: no job is due yet), written in UTC.
    const startAt = '2027-03-28T10:00:00.000Z';
    const created = await sut.query<{ createCampaign: { id: string; schedule: { inProfileTimeZone: boolean } } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id schedule { inProfileTimeZone } } }`,
      { input: { name: 'Local 10:00', channel: 'EMAIL', email: { templateId: randomUUID(), templateVersion: 1 }, audience: { everyone: true }, schedule: { startAt, timeZone: 'UTC', inProfileTimeZone: true } } },
      secretKeyCaller(projectId),
    );
    expect(created.errors).toBeUndefined();
    const campaignId = created.data!.createCampaign.id;
    expect(created.data!.createCampaign.schedule.inProfileTimeZone).toBe(true);
    expect((await sut.query(`mutation($id: ID!) { scheduleCampaign(id: $id) { status } }`, { id: campaignId }, secretKeyCaller(projectId))).errors).toBeUndefined();

    const dataSource = sut.app.get(DataSource);
    const occurrences = (await dataSource.query(`SELECT occurrence_at, time_zones FROM campaign_occurrence WHERE campaign_id = $1 ORDER BY occurrence_at`, [campaignId])) as {
      occurrence_at: Date;
      time_zones: string[];
    }[];
    const expected = localTimeInstants(new Date(startAt), 'UTC', [...ZONES, 'Europe/Berlin']);
    // One row per distinct instant, and the closing row (no zones) when 10:00 reaches UTC−12, the last zone that could still appear.
    expect(occurrences.map((row) => [row.occurrence_at.getTime(), row.time_zones])).toEqual([...[...expected].sort(([a], [b]) => a - b), [new Date('2027-03-28T22:00:00.000Z').getTime(), []]]);
    // Run each occurrence as its job will when due, in time order (the clock of the jobs is not the test's).
    for (const [index, occurrence] of occurrences.entries()) {
      await sut.app.get(RunOccurrence).execute({ projectId, campaignId, occurrenceAt: occurrence.occurrence_at.toISOString() });
      const [{ status }] = await dataSource.query(`SELECT status FROM campaign WHERE id = $1`, [campaignId]);
      expect(status).toBe(index === occurrences.length - 1 ? 'completed' : 'running');
    }
    const rows = (await dataSource.query(`SELECT profile_id, occurrence_at FROM campaign_delivery WHERE campaign_id = $1`, [campaignId])) as { profile_id: string; occurrence_at: Date }[];
    const sentAt = new Map(rows.map((row) => [row.profile_id, row.occurrence_at.toISOString()]));
    expect(sentAt.size).toBe(42);
    const tenLocal = (zone: string) => new Date([...expected].find(([, zones]) => zones.includes(zone))![0]).toISOString();
    for (const { profileId, zone } of profiles) expect([zone, sentAt.get(profileId)]).toEqual([zone, tenLocal(zone)]);
    for (const profileId of zoneless) expect(sentAt.get(profileId)).toBe('2027-03-28T08:00:00.000Z'); // 10:00 CEST
    expect(sentAt.get(profiles.find((profile) => profile.zone === 'Europe/London')!.profileId)).toBe('2027-03-28T09:00:00.000Z'); // 10:00 BST
    expect(sentAt.get(profiles.find((profile) => profile.zone === 'America/New_York')!.profileId)).toBe('2027-03-28T14:00:00.000Z'); // 10:00 EDT
    expect(sentAt.get(profiles.find((profile) => profile.zone === 'Pacific/Chatham')!.profileId)).toBe('2027-03-27T20:15:00.000Z'); // 10:00 +13:45
  });

  it('refuses an hourly recurrence in each profile’s zone, and catchUpLateZones without profile zones, naming the field', async () => {
    const fieldOf = async (schedule: Record<string, unknown>) =>
      (await sut.query(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`, { input: { name: 'x', channel: 'EMAIL', schedule } }, secretKeyCaller(randomUUID())))
        .errors?.[0]?.extensions;
    expect(await fieldOf({ startAt: '2030-01-01T10:00:00Z', timeZone: 'UTC', rrule: 'FREQ=HOURLY', inProfileTimeZone: true })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.schedule.rrule' });
    expect(await fieldOf({ startAt: '2030-01-01T10:00:00Z', timeZone: 'UTC', catchUpLateZones: true })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.schedule.catchUpLateZones' });
  });
});
