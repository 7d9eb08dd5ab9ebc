import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventsAttached, EventsIngested } from '@boomerang/contracts';
import { consumedUpTo, publishMessage, secretKeyCaller, type TestMessaging, type TestSubgraph } from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';
import { ATTACHED_MAX_LATENESS_MS, TRIGGER_ATTACHED_DURABLE, TRIGGER_EVENTS_DURABLE } from '../src/triggers/trigger-events.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

// An SDK flush of `identify` + `Signed Up`: events stores the track before profiles has linked the
// user, announces it without a profile (EventsIngested), then announces it again with its profile
// once the link attaches it (EventsAttached). The trigger fires on the second, once.
describe('triggered campaigns on events attached to their profile later (EventsAttached)', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;
  let harness: CampaignsHarness;

  beforeAll(async () => {
    harness = await startCampaigns();
    ({ sut, messaging } = harness);
  });
  afterAll(() => harness?.close());

  const createTriggered = async (projectId: string, trigger: Record<string, unknown>) => {
    const result = await sut.query<{ createCampaign: { id: string } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'Welcome', channel: 'EMAIL', email: { templateId: randomUUID(), templateVersion: 1 }, trigger } },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    const id = result.data!.createCampaign.id;
    expect((await sut.query(`mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`, { id }, secretKeyCaller(projectId))).errors).toBeUndefined();
    return id;
  };

  const track = (name: string, at = new Date()) => ({ eventId: randomUUID(), messageId: randomUUID(), name, timestamp: at.toISOString(), properties: { plan: 'pro' }, userId: 'user-1' });
  type Track = ReturnType<typeof track>;

  const ingested = async (projectId: string, events: (Track & { profileId: string | null })[]) =>
    consumedUpTo(messaging, 'events', TRIGGER_EVENTS_DURABLE, await publishMessage(messaging, EventsIngested, projectId, { events }));
  const attached = async (projectId: string, events: (Track & { profileId: string })[]) =>
    consumedUpTo(messaging, 'events', TRIGGER_ATTACHED_DURABLE, await publishMessage(messaging, EventsAttached, projectId, { events }));

  const firings = (campaignId: string) =>
    sut.app.get(DataSource).query(`SELECT profile_id, cause_id, state, fire_at FROM campaign_trigger_fire WHERE campaign_id = $1 ORDER BY triggered_at`, [campaignId]) as Promise<
      { profile_id: string; cause_id: string; state: string; fire_at: Date }[]
    >;
  const decisions = (campaignId: string) =>
    sut.app.get(DataSource).query(`SELECT profile_id, outcome FROM campaign_delivery WHERE campaign_id = $1`, [campaignId]) as Promise<{ profile_id: string; outcome: string }[]>;

  it('a track before its identify fires the campaign once, after the link; redelivered or seen both ways, still once', async () => {
    const projectId = randomUUID();
    const profileId = randomUUID();
    // EVERY_TIME: re-eligibility would hide a second firing of the same event; only the fire id may stop it.
    const campaignId = await createTriggered(projectId, { event: { name: 'Signed Up' }, reEligibility: 'EVERY_TIME' });
    const signedUp = track('Signed Up');
    await ingested(projectId, [{ ...signedUp, profileId: null }]);
    expect(await firings(campaignId)).toEqual([]);

    await attached(projectId, [{ ...signedUp, profileId }]);
    expect(await firings(campaignId)).toMatchObject([{ profile_id: profileId, cause_id: `event:${signedUp.eventId}` }]);
    expect(await decisions(campaignId)).toEqual([{ profile_id: profileId, outcome: 'requested' }]);

    // Announced again (a new message id: no JetStream dedupe), and the same event arriving with its profile through ingest.
    await attached(projectId, [{ ...signedUp, profileId }]);
    await ingested(projectId, [{ ...signedUp, profileId }]);
    expect(await firings(campaignId)).toHaveLength(1);
    expect(await decisions(campaignId)).toHaveLength(1);
  });

  it(`an event whose send would be due more than ${ATTACHED_MAX_LATENESS_MS / DAY} day before the attach fires nothing; a delayed trigger still in its window does`, async () => {
    const projectId = randomUUID();
    const [stale, delayedProfile, recentProfile] = [randomUUID(), randomUUID(), randomUUID()];
    const now = Date.now();
    const immediate = await createTriggered(projectId, { event: { name: 'Viewed Pricing' }, reEligibility: 'EVERY_TIME' });
    const threeDaysLater = await createTriggered(projectId, { event: { name: 'Started Trial' }, delayMinutes: 3 * 24 * 60, reEligibility: 'EVERY_TIME' });
    // Stale: 2 days old, no delay → its send 2 days late. Delayed: 2 days old, 3-day delay → due tomorrow. Recent: just within the bound.
    // The campaigns' start moved back, so that only the lateness bound decides (an event before the start fires nothing: next spec).
    await sut.app.get(DataSource).query(`UPDATE campaign SET sending_since = $2 WHERE project_id = $1`, [projectId, new Date(now - 10 * DAY)]);
    const twoDaysAgo = new Date(now - 2 * DAY);
    const recent = new Date(now - ATTACHED_MAX_LATENESS_MS + 10 * MINUTE);
    await attached(projectId, [
      { ...track('Viewed Pricing', twoDaysAgo), profileId: stale },
      { ...track('Started Trial', twoDaysAgo), profileId: delayedProfile },
      { ...track('Viewed Pricing', recent), profileId: recentProfile },
    ]);
    expect((await firings(immediate)).map((row) => row.profile_id)).toEqual([recentProfile]);
    const [delayed, ...more] = await firings(threeDaysLater);
    expect(more).toEqual([]);
    expect(delayed).toMatchObject({ profile_id: delayedProfile, state: 'waiting' });
    expect(delayed!.fire_at.getTime()).toBe(twoDaysAgo.getTime() + 3 * DAY);
  });

  it('an event that happened before the campaign started reacting fires nothing when attached after', async () => {
    const projectId = randomUUID();
    const before = track('Signed Up', new Date(Date.now() - MINUTE));
    const campaignId = await createTriggered(projectId, { event: { name: 'Signed Up' } });
    await attached(projectId, [{ ...before, profileId: randomUUID() }]);
    expect(await firings(campaignId)).toEqual([]);
  });
});
