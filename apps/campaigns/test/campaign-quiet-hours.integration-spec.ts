import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { secretKeyCaller, seedKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';
import { ProfileZones } from '../src/audience/profile-zones.js';
import { CampaignEntity } from '../src/campaigns/campaign.entity.js';
import { QUIET_RELEASE_QUEUE, type QuietReleaseJob } from '../src/delivery/occurrence-scheduler.js';
import { QuietRelease } from '../src/delivery/quiet-release.js';
import { RunOccurrence } from '../src/delivery/run-occurrence.js';
import { TriggerFiring } from '../src/triggers/trigger-firing.js';

// 05:30 UTC on the night New York springs forward (2027-03-14): 00:30 EST there (quiet until 09:00 EDT = 13:00Z, an hour
// shorter than the night before), 06:30 CET in Berlin (quiet until 09:00 = 08:00Z), 14:30 in Tokyo (open).
const NOW = new Date('2027-03-14T05:30:00.000Z');
const BERLIN_END = '2027-03-14T08:00:00.000Z';
const NEW_YORK_END = '2027-03-14T13:00:00.000Z';

describe('quiet hours in each profile’s own zone', () => {
  let sut: TestSubgraph;
  let harness: CampaignsHarness;
  let clock: Clock;

  beforeAll(async () => {
    harness = await startCampaigns();
    sut = harness.sut;
    clock = sut.app.get(Clock);
  });
  afterAll(() => harness?.close());
  afterEach(() => jest.restoreAllMocks());

  const at = (iso: string | Date) => jest.spyOn(clock, 'now').mockReturnValue(new Date(iso));
  const gql = async <T>(projectId: string, query: string, variables: Record<string, unknown> = {}) => {
    const result = await sut.query<T>(query, variables, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!;
  };
  const db = () => sut.app.get(DataSource);

  /** A project (Berlin, quiet 21:00–09:00) with a profile in Tokyo, one in New York, one in Berlin and one without a zone. */
  const project = async () => {
    const projectId = randomUUID();
    const [tokyo, newYork, berlin, zoneless] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await seedKnownProfiles(sut, projectId, [tokyo, newYork, berlin, zoneless]);
    const snapshot = (profileId: string, timeZone: string) => ({
      projectId,
      occurredAt: NOW.toISOString(),
      profileId,
      externalId: null,
      properties: {},
      attributes: { email: true as const, phone: null, name: null, timeZone, locale: null, createdAt: NOW.toISOString(), emailSubscribed: true, smsSubscribed: null, pushSubscribed: null, whatsappSubscribed: null, phoneDnd: null },
      contact: { email: 'x@example.com', phone: null },
      updatedAt: NOW.toISOString(),
    });
    await db().transaction((manager) =>
      sut.app.get(ProfileZones).apply(manager, [snapshot(tokyo, 'Asia/Tokyo'), snapshot(newYork, 'America/New_York'), snapshot(berlin, 'Europe/Berlin')]),
    );
    await gql(projectId, `mutation { configureCampaignDelivery(input: { timeZone: "Europe/Berlin", quietHours: { start: "21:00", end: "09:00" } }) { timeZone } }`);
    return { projectId, tokyo, newYork, berlin, zoneless };
  };

  const create = async (projectId: string, input: Record<string, unknown>) =>
    (
      await gql<{ createCampaign: { id: string } }>(projectId, `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`, {
        input: { name: 'Quiet', channel: 'EMAIL', email: { templateId: randomUUID(), templateVersion: 1 }, ...input },
      })
    ).createCampaign.id;

  const decisions = async (campaignId: string) =>
    Object.fromEntries(
      ((await db().query(`SELECT profile_id, outcome, reason, occurrence_at FROM campaign_delivery WHERE campaign_id = $1`, [campaignId])) as { profile_id: string; outcome: string; reason: string | null; occurrence_at: Date }[]).map(
        (row) => [row.profile_id, row.reason ?? `${row.outcome}@${row.occurrence_at.toISOString()}`],
      ),
    );
  const releaseJobs = async (campaignId: string) =>
    (await db().query(`SELECT data, start_after FROM job WHERE name = $1 AND data->>'campaignId' = $2 AND state = 'created' ORDER BY start_after`, [QUIET_RELEASE_QUEUE, campaignId])) as {
      data: QuietReleaseJob;
      start_after: Date;
    }[];
  const statusOf = async (campaignId: string) => ((await db().query(`SELECT status FROM campaign WHERE id = $1`, [campaignId])) as { status: string }[])[0]!.status;

  it('DEFER holds each profile until its own window ends (one job per end, shared by the zones ending then), across the DST night; DROP records QUIET_HOURS', async () => {
    const { projectId, tokyo, newYork, berlin, zoneless } = await project();
    at(NOW);
    const deferring = await create(projectId, { audience: { everyone: true } });
    const dropping = await create(projectId, { audience: { everyone: true }, quietHours: 'DROP' });
    for (const id of [deferring, dropping]) await gql(projectId, `mutation($id: ID!) { scheduleCampaign(id: $id) { status } }`, { id });
    for (const id of [deferring, dropping]) await sut.app.get(RunOccurrence).execute({ projectId, campaignId: id, occurrenceAt: NOW.toISOString() });

    const sentAtOccurrence = `requested@${NOW.toISOString()}`;
    expect(await decisions(dropping)).toEqual({ [tokyo]: sentAtOccurrence, [newYork]: 'QUIET_HOURS', [berlin]: 'QUIET_HOURS', [zoneless]: 'QUIET_HOURS' });
    expect(await statusOf(dropping)).toBe('completed');

    expect(await decisions(deferring)).toEqual({ [tokyo]: sentAtOccurrence });
    const held = (await db().query(`SELECT profile_id, release_at FROM campaign_quiet_deferral WHERE campaign_id = $1`, [deferring])) as { profile_id: string; release_at: Date }[];
    expect(Object.fromEntries(held.map((row) => [row.profile_id, row.release_at.toISOString()]))).toEqual({ [newYork]: NEW_YORK_END, [berlin]: BERLIN_END, [zoneless]: BERLIN_END });
    const jobs = await releaseJobs(deferring);
    expect(jobs.map((job) => job.start_after.toISOString())).toEqual([BERLIN_END, NEW_YORK_END]);
    expect(await statusOf(deferring)).toBe('running'); // its occurrence is done, but profiles are held
    const stats = await gql<{ campaign: { stats: { targeted: number; held: number; occurrencesDone: number } } }>(
      projectId,
      `query($id: ID!) { campaign(id: $id) { stats { targeted held occurrencesDone } } }`,
      { id: deferring },
    );
    expect(stats.campaign.stats).toEqual({ targeted: 1, held: 3, occurrencesDone: 1 });

    // 09:00 in Berlin: the Berlin job releases Berlin and the zoneless profile (the project's zone), twice (a redelivery): once each.
    at(BERLIN_END);
    for (let i = 0; i < 2; i++) await sut.app.get(QuietRelease).execute(jobs[0]!.data);
    expect(await decisions(deferring)).toEqual({ [tokyo]: sentAtOccurrence, [berlin]: sentAtOccurrence, [zoneless]: sentAtOccurrence });
    // The New York job run early (a clock behind) holds New York and comes back at its end.
    await sut.app.get(QuietRelease).execute(jobs[1]!.data);
    expect(Object.keys(await decisions(deferring))).not.toContain(newYork);

    // Paused at 09:00 EDT the release does nothing; resumed, the held profile gets a job and is sent; the campaign completes.
    at(NEW_YORK_END);
    await gql(projectId, `mutation($id: ID!) { pauseCampaign(id: $id) { status } }`, { id: deferring });
    await sut.app.get(QuietRelease).execute(jobs[1]!.data);
    expect(Object.keys(await decisions(deferring))).not.toContain(newYork);
    await gql(projectId, `mutation($id: ID!) { resumeCampaign(id: $id) { status } }`, { id: deferring });
    const resumed = (await releaseJobs(deferring)).filter((job) => job.start_after.toISOString() === NEW_YORK_END);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    for (const job of resumed) await sut.app.get(QuietRelease).execute(job.data);
    expect(await decisions(deferring)).toEqual({ [tokyo]: sentAtOccurrence, [berlin]: sentAtOccurrence, [zoneless]: sentAtOccurrence, [newYork]: sentAtOccurrence });
    expect(await statusOf(deferring)).toBe('completed');
    const [{ left }] = await db().query(`SELECT count(*)::int AS left FROM campaign_quiet_deferral WHERE campaign_id = $1`, [deferring]);
    expect(left).toBe(0);
  });

  it('completing a deferring campaign decides its held profiles skipped CAMPAIGN_COMPLETED; their release jobs then send nothing', async () => {
    const { projectId, tokyo, newYork, berlin, zoneless } = await project();
    at(NOW);
    const deferring = await create(projectId, { audience: { everyone: true } });
    await gql(projectId, `mutation($id: ID!) { scheduleCampaign(id: $id) { status } }`, { id: deferring });
    await sut.app.get(RunOccurrence).execute({ projectId, campaignId: deferring, occurrenceAt: NOW.toISOString() });
    const jobs = await releaseJobs(deferring);
    expect(jobs).toHaveLength(2);

    await gql(projectId, `mutation($id: ID!) { stopCampaign(id: $id) { status } }`, { id: deferring });
    const sentAtOccurrence = `requested@${NOW.toISOString()}`;
    const expected = { [tokyo]: sentAtOccurrence, [newYork]: 'CAMPAIGN_COMPLETED', [berlin]: 'CAMPAIGN_COMPLETED', [zoneless]: 'CAMPAIGN_COMPLETED' };
    expect(await decisions(deferring)).toEqual(expected);
    const stats = await gql<{ campaign: { status: string; stats: { targeted: number; held: number; skipped: { reason: string; count: number }[] } } }>(
      projectId,
      `query($id: ID!) { campaign(id: $id) { status stats { targeted held skipped { reason count } } } }`,
      { id: deferring },
    );
    expect(stats.campaign).toEqual({ status: 'COMPLETED', stats: { targeted: 4, held: 0, skipped: [{ reason: 'CAMPAIGN_COMPLETED', count: 3 }] } });
    // At the windows' ends the jobs find nothing held (and a completed campaign sends nothing).
    for (const [index, end] of [BERLIN_END, NEW_YORK_END].entries()) {
      at(end);
      await sut.app.get(QuietRelease).execute(jobs[index]!.data);
    }
    expect(await decisions(deferring)).toEqual(expected);
  });

  it('a triggered send in the profile’s quiet hours moves to the end of its own window', async () => {
    const { projectId, tokyo, newYork } = await project();
    at(NOW);
    const campaignId = await create(projectId, { trigger: { event: { name: 'Signed Up' } } });
    await gql(projectId, `mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`, { id: campaignId });
    await db().transaction(async (manager) => {
      const campaign = await manager.findOneByOrFail(CampaignEntity, { id: campaignId });
      for (const profileId of [tokyo, newYork]) {
        await sut.app.get(TriggerFiring).fire(manager, campaign, profileId, { id: `event:${randomUUID()}`, triggeredAt: NOW, announcedAt: NOW, event: {} });
      }
    });
    expect(await decisions(campaignId)).toEqual({ [tokyo]: `requested@${NOW.toISOString()}` });
    const [fire] = await db().query(`SELECT state, fire_at FROM campaign_trigger_fire WHERE campaign_id = $1 AND profile_id = $2`, [campaignId, newYork]);
    expect([fire.state, fire.fire_at.toISOString()]).toEqual(['waiting', NEW_YORK_END]);
  });
});
