import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EmailSendRequested, EventsIngested, SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import {
  consumedUpTo,
  eventually,
  publishMessage,
  secretKeyCaller,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';
import { SEGMENT_MEMBERSHIP_DURABLE } from '../src/audience/segment-membership-projection.js';
import { GOAL_EVENTS_DURABLE } from '../src/stats/goal-conversions.js';
import { variantOf } from '../src/variants/campaign-variants.js';
import { VariantPromotion } from '../src/variants/variant-promotion.js';

describe('A/B variants', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;
  let harness: CampaignsHarness;

  beforeAll(async () => {
    harness = await startCampaigns();
    ({ sut, messaging } = harness);
  });
  afterAll(() => harness?.close());

  it('sends each profile its sticky variant with that variant’s template, records it, and promotes the best-converting one', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    const members = Array.from({ length: 60 }, () => randomUUID()).sort();
    let ack;
    for (const profileId of members) ack = await publishMessage(messaging, SegmentMembershipChanged, projectId, { segmentId, profileId, change: 'entered', version: 1, cause: 'event', eventId: null });
    await consumedUpTo(messaging, 'segments', SEGMENT_MEMBERSHIP_DURABLE, ack!);
    const [templateA, templateB] = [randomUUID(), randomUUID()];
    const created = await sut.query<{ createCampaign: { id: string; variants: unknown[]; variantPromotion: { endsAt: string; winner: string | null } } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id variants { key weight email { templateId templateVersion } } variantPromotion { endsAt winner } } }`,
      {
        input: {
          name: 'AB',
          channel: 'EMAIL',
          audience: { includeSegmentIds: [segmentId] },
          controlPercent: 10,
          goal: { event: 'Order Completed', withinDays: 7 },
          variants: [
            { key: 'A', weight: 50, templateId: templateA, templateVersion: 1 },
            { key: 'B', weight: 50, templateId: templateB, templateVersion: 2 },
          ],
          variantPromotion: { endsAt: '2030-01-01T00:00:00Z' },
        },
      },
      secretKeyCaller(projectId),
    );
    expect(created.errors).toBeUndefined();
    const campaign = created.data!.createCampaign;
    expect(campaign.variants).toEqual([
      { key: 'A', weight: 50, email: { templateId: templateA, templateVersion: 1 } },
      { key: 'B', weight: 50, email: { templateId: templateB, templateVersion: 2 } },
    ]);
    expect(campaign.variantPromotion).toEqual({ endsAt: '2030-01-01T00:00:00.000Z', winner: null });
    expect((await sut.query(`mutation($id: ID!) { scheduleCampaign(id: $id) { status } }`, { id: campaign.id }, secretKeyCaller(projectId))).errors).toBeUndefined();
    const dataSource = sut.app.get(DataSource);
    const rows = (await eventually(
      async () => {
        const [occurrence] = await dataSource.query(`SELECT status FROM campaign_occurrence WHERE campaign_id = $1`, [campaign.id]);
        return occurrence?.status === 'done' ? ((await dataSource.query(`SELECT profile_id, reason, variant FROM campaign_delivery WHERE campaign_id = $1`, [campaign.id])) as { profile_id: string; reason: string | null; variant: string | null }[]) : null;
      },
      { timeoutMs: 20_000 },
    ))!;
    const variants = [
      { key: 'A', weight: 50, templateId: templateA, templateVersion: 1 },
      { key: 'B', weight: 50, templateId: templateB, templateVersion: 2 },
    ];
    for (const row of rows) expect(row.variant).toBe(row.reason === null ? variantOf(campaign.id, row.profile_id, variants, null).key : null);
    const sent = rows.filter((row) => row.reason === null);
    expect(new Set(sent.map((row) => row.variant))).toEqual(new Set(['A', 'B']));

    await sut.flushOutbox();
    const stream = messaging.subjects.streamName('email');
    const sends = (await eventually(async () => {
      const info = await messaging.jsm.streams.info(stream);
      const bodies: MessageOf<typeof EmailSendRequested>[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const body = (await messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null))?.json<MessageOf<typeof EmailSendRequested>>();
        if (body?.campaignId === campaign.id) bodies.push(body);
      }
      return bodies.length === sent.length ? bodies : null;
    }))!;
    for (const send of sends) {
      const variant = variantOf(campaign.id, send.profileId!, variants, null);
      expect(send).toMatchObject({ templateId: variant.templateId, templateVersion: variant.templateVersion });
    }

    // B's recipients all convert, A's none: the end of the test phase promotes B.
    const converting = sent.filter((row) => row.variant === 'B').map((row) => row.profile_id);
    const events = converting.map((profileId) => ({ eventId: randomUUID(), messageId: randomUUID(), profileId, name: 'Order Completed', timestamp: new Date(Date.now() + 1000).toISOString(), properties: {} }));
    await consumedUpTo(messaging, 'events', GOAL_EVENTS_DURABLE, await publishMessage(messaging, EventsIngested, projectId, { events }));
    expect(await dataSource.query(`SELECT 1 FROM job WHERE name = 'campaign-variant-promotion' AND data->>'campaignId' = $1 AND start_after = '2030-01-01T00:00:00Z'`, [campaign.id])).toHaveLength(1);
    await sut.app.get(VariantPromotion).execute({ projectId, campaignId: campaign.id });
    const after = await sut.query<{ campaign: { variantPromotion: { winner: string } } }>(`query($id: ID!) { campaign(id: $id) { variantPromotion { winner } } }`, { id: campaign.id }, secretKeyCaller(projectId));
    expect(after.data!.campaign.variantPromotion.winner).toBe('B');
  });

  it('names the field of invalid variants', async () => {
    const projectId = randomUUID();
    const email = { templateId: randomUUID(), templateVersion: 1 };
    const result = await sut.query(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'x', channel: 'EMAIL', variants: [{ key: 'A', weight: 60, ...email }, { key: 'B', weight: 30, ...email }] } },
      secretKeyCaller(projectId),
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.variants' });
    const promotion = await sut.query(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'x', channel: 'EMAIL', variants: [{ key: 'A', weight: 50, ...email }, { key: 'B', weight: 50, ...email }], variantPromotion: { endsAt: '2030-01-01T00:00:00Z' } } },
      secretKeyCaller(projectId),
    );
    expect(promotion.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.variantPromotion' });
  });
});
