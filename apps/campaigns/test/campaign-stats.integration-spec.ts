import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventsAttached, EventsIngested } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import {
  consumedUpTo,
  createTestMessaging,
  publishMessage,
  secretKeyCaller,
  serveProfileIds,
  startTestSubgraph,
  uniqueSubjectPrefix,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { ENGAGEMENT_EVENTS_DURABLE } from '../src/stats/engagement-events.js';
import { GOAL_ATTACHED_DURABLE, GOAL_EVENTS_DURABLE } from '../src/stats/goal-conversions.js';

interface VariantStats {
  variant: string;
  requested: number;
  sent: number;
  opened: number;
  clicked: number;
  converted: number;
  lift: { testRate: number; controlRate: number; absolute: number } | null;
}

describe('campaign stats', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;

  beforeAll(async () => {
    const prefix = uniqueSubjectPrefix();
    messaging = await createTestMessaging(prefix);
    for (const domain of ['email', 'events', 'segments'] as const) await applyOwnedStream(messaging.jsm, messaging.subjects, domain);
    serveProfileIds(messaging);
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'campaigns', prefix });
  });
  afterAll(async () => {
    await sut?.close();
    await messaging?.cleanup();
  });

  it("reads email's delivery events into the stats of the campaign and of each variant, with each variant's lift over the control group", async () => {
    const projectId = randomUUID();
    const created = await sut.query<{ createCampaign: { id: string } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'A/B', channel: 'EMAIL', audience: { everyone: true }, email: { templateId: randomUUID(), templateVersion: 1 }, goal: { event: 'Order Completed', withinDays: 7 } } },
      secretKeyCaller(projectId),
    );
    expect(created.errors).toBeUndefined();
    const campaignId = created.data!.createCampaign.id;
    const [a1, a2, b1, c1, c2] = Array.from({ length: 5 }, () => randomUUID());
    // The decisions as DeliveryDecisions records them: variant A to two profiles, B to one, two in the control group.
    const decidedAt = new Date(Date.now() - 60_000);
    const db = sut.app.get(DataSource);
    await db.query(`INSERT INTO campaign_occurrence (campaign_id, occurrence_at, project_id, status) VALUES ($1, $2, $3, 'done')`, [campaignId, decidedAt, projectId]);
    await db.query(
      `INSERT INTO campaign_delivery (campaign_id, occurrence_at, profile_id, project_id, channel, outcome, reason, decided_at, variant)
       SELECT $1, $2, d.p, $3, 'email', d.outcome, d.reason, $2, d.variant FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) AS d (p, outcome, reason, variant)`,
      [campaignId, decidedAt, projectId, [a1, a2, b1, c1, c2], ['requested', 'requested', 'requested', 'skipped', 'skipped'], [null, null, null, 'CONTROL_GROUP', 'CONTROL_GROUP'], ['A', 'A', 'B', null, null]],
    );
    const event = (name: string, profileId: string, properties: Record<string, unknown> = { campaignId }) => ({
      eventId: randomUUID(),
      messageId: randomUUID(),
      profileId,
      name,
      timestamp: new Date().toISOString(),
      properties,
      verified: true,
    });
    const ack = await publishMessage(messaging, EventsIngested, projectId, {
      events: [
        ...[a1, a2, b1].map((profileId) => event('Email Sent', profileId)),
        event('Email Delivered', a1),
        event('Email Opened', a1),
        event('Email Opened', a1),
        event('Email Opened', b1),
        event('Email Clicked', b1),
        event('Email Bounced', a2),
        event('Email Opened', c1), // the control group was sent nothing: not counted
        event('Order Completed', a1, { revenue: 10 }),
        event('Order Completed', c1, { revenue: 10 }),
      ],
    });
    await consumedUpTo(messaging, 'events', ENGAGEMENT_EVENTS_DURABLE, ack);
    await consumedUpTo(messaging, 'events', GOAL_EVENTS_DURABLE, ack);

    const result = await sut.query<{ campaign: { stats: Record<string, unknown> & { variants: VariantStats[] } } }>(
      `query($id: ID!) { campaign(id: $id) { stats { requested controlSize sent delivered opened clicked bounced converted controlConverted
         variants { variant requested sent opened clicked converted lift { testRate controlRate absolute } } } } }`,
      { id: campaignId },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    const { variants, ...stats } = result.data!.campaign.stats;
    expect(stats).toEqual({ requested: 3, controlSize: 2, sent: 3, delivered: 1, opened: 2, clicked: 1, bounced: 1, converted: 1, controlConverted: 1 });
    expect(variants).toEqual([
      { variant: 'A', requested: 2, sent: 2, opened: 1, clicked: 0, converted: 1, lift: { testRate: 0.5, controlRate: 0.5, absolute: 0 } },
      { variant: 'B', requested: 1, sent: 1, opened: 1, clicked: 1, converted: 0, lift: { testRate: 0, controlRate: 0.5, absolute: -0.5 } },
    ]);
    // Another project sees nothing of it.
    expect((await sut.query(`query($id: ID!) { campaign(id: $id) { id } }`, { id: campaignId }, secretKeyCaller(randomUUID()))).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });

    // A goal event tracked before its identity was known converts when events attaches it to its
    // profile (b1); one attached again, or of a profile already converted (a1), changes nothing.
    const late = event('Order Completed', b1, {});
    const attached = async (events: ReturnType<typeof event>[]) =>
      consumedUpTo(messaging, 'events', GOAL_ATTACHED_DURABLE, await publishMessage(messaging, EventsAttached, projectId, { events }));
    await attached([late, event('Order Completed', a1, {})]);
    await attached([late]);
    const converted = await sut.query<{ campaign: { stats: { converted: number; variants: { variant: string; converted: number }[] } } }>(
      `query($id: ID!) { campaign(id: $id) { stats { converted variants { variant converted } } } }`,
      { id: campaignId },
      secretKeyCaller(projectId),
    );
    expect(converted.data!.campaign.stats).toEqual({ converted: 2, variants: [{ variant: 'A', converted: 1 }, { variant: 'B', converted: 1 }] });
  });
});
