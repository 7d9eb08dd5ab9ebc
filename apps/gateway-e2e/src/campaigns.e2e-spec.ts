import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { eventually } from '@boomerang/platform/testing';
import { bearer, startMailCatcher, startTestPlatform, type CaughtMessage, type MailCatcher, type RunningPlatform } from '../../../tools/dev/test-platform.js';

const CREATE_SEGMENT = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id status } }`;
const CREATE_CAMPAIGN = `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id status } }`;
const START = `mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`;
const STATS = `query($id: ID!) { campaign(id: $id) { status stats { targeted requested sent converted } } }`;
const PROFILE = `query($userId: String!) { profileByIdentity(kind: USER_ID, value: $userId) { id segments { id } messages { sent channel campaign { id name } } } }`;
const IN_APP = `query($token: String) { inAppMessages(userToken: $token) { campaignId title layout buttons { label deepLink } custom } }`;

interface Stats {
  status: string;
  stats: { targeted: number; requested: number; sent: number; converted: number };
}

/**
 * Campaigns through the whole platform: a segment made through the gateway, events from a Segment
 * client through the ingestion API make a profile a member, an email campaign to the segment is
 * received by the SMTP sink (npm start's mail catcher), a goal event counts the conversion in
 * Campaign.stats; an in-app campaign's message is read by the app with its publishable key and a
 * user token its backend minted, and by nobody without one.
 */
describe('campaigns end to end', () => {
  let catcher: MailCatcher;
  let platform: RunningPlatform;
  let secretKey: string;
  let publishableKey: string;
  let templateId: string;

  const gql = async <T>(query: string, variables: Record<string, unknown>, key = secretKey) => {
    const answer = await platform.graphql<T>(query, variables, bearer(key));
    return answer;
  };
  const send = async (key: string, calls: (analytics: Analytics) => void) => {
    const analytics = new Analytics({ writeKey: key, host: platform.ingestUrl, path: '/v1/batch', flushAt: 1, maxRetries: 3 });
    calls(analytics);
    await analytics.closeAndFlush();
  };
  /** A DYNAMIC segment of who added to cart in the last hour, and a shopper in it. */
  const shopperInSegment = async (userId: string, traits: Record<string, unknown>) => {
    await send(secretKey, (analytics) => analytics.identify({ userId, traits }));
    const segment = await gql<{ createSegment: { id: string; status: string } }>(CREATE_SEGMENT, {
      input: { name: `Carted ${userId}`, kind: 'DYNAMIC', rules: { and: [{ event: { name: 'Added To Cart', within: { hours: 1 } } }, { profile: { property: 'tag', op: 'EQ', value: userId } }] } },
    });
    expect(segment.errors).toBeUndefined();
    const segmentId = segment.data!.createSegment.id;
    await send(publishableKey, (analytics) => analytics.track({ userId, event: 'Added To Cart', properties: { sku: 'boots', price: 25 } }));
    const profile = await eventually(
      async () => {
        const answer = await gql<{ profileByIdentity: { id: string; segments: { id: string }[] } | null }>(PROFILE, { userId });
        return answer.data?.profileByIdentity?.segments?.some((s) => s.id === segmentId) ? answer.data.profileByIdentity : undefined;
      },
      { timeoutMs: 30_000 },
    );
    return { segmentId, profileId: profile!.id };
  };
  const campaignStats = (id: string) => gql<{ campaign: Stats }>(STATS, { id });

  beforeAll(async () => {
    catcher = await startMailCatcher({ smtpPort: 0, webPort: 0 });
    platform = await startTestPlatform({ EMAIL_DEFAULT_SMTP_URL: catcher.smtpUrl, EMAIL_SEND_POLL_MS: '200' }, { readyTimeoutMs: 180_000 });
    const created = await platform.graphql<{ createProject: { publishableKey: { key: string }; secretKey: { key: string } } }>(
      `mutation { createProject(input: { name: "Campaigns e2e" }) { publishableKey { key } secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    expect(created.errors).toBeUndefined();
    secretKey = created.data!.createProject.secretKey.key;
    publishableKey = created.data!.createProject.publishableKey.key;
    const template = await gql<{ createEmailTemplate: { id: string } }>(`mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id version } }`, {
      input: {
        name: 'Cart reminder',
        format: 'MJML',
        subject: '{{ campaign.name }}: your cart is waiting',
        fromAddress: 'shop@brand.example',
        fromName: 'Brand',
        htmlBody: '<mjml><mj-body><mj-section><mj-column><mj-text>Your boots are waiting.</mj-text></mj-column></mj-section></mj-body></mjml>',
      },
    });
    expect(template.errors).toBeUndefined();
    templateId = template.data!.createEmailTemplate.id;
  }, 420_000);
  afterAll(async () => {
    await platform?.stop();
    await catcher?.stop();
  });

  it('emails the members of a segment made through the gateway, and counts the goal event as a conversion', async () => {
    const userId = `shopper-${randomUUID()}`;
    const address = `${userId}@example.com`;
    const { segmentId, profileId } = await shopperInSegment(userId, { email: address, tag: userId, 'MSG-email': true });

    const campaign = await gql<{ createCampaign: { id: string } }>(CREATE_CAMPAIGN, {
      input: {
        name: 'Boots reminder',
        channel: 'EMAIL',
        audience: { includeSegmentIds: [segmentId] },
        email: { templateId, templateVersion: 1 },
        goal: { event: 'Order Completed', withinDays: 7 },
      },
    });
    expect(campaign.errors).toBeUndefined();
    const campaignId = campaign.data!.createCampaign.id;
    expect((await gql(START, { id: campaignId })).errors).toBeUndefined();

    const received = (await eventually(() => catcher.messages.find((m: CaughtMessage) => m.envelope.rcptTo.some((rcpt) => rcpt.address === address)), { timeoutMs: 60_000 }))!;
    expect(received.parsed.subject).toBe('Boots reminder: your cart is waiting');
    const sent = await eventually(
      async () => {
        const { data } = await campaignStats(campaignId);
        return data?.campaign.stats.sent === 1 ? data.campaign : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(sent).toMatchObject({ status: 'COMPLETED', stats: { targeted: 1, requested: 1, sent: 1, converted: 0 } });

    await send(publishableKey, (analytics) => analytics.track({ userId, event: 'Order Completed', properties: { revenue: 120 } }));
    const converted = await eventually(
      async () => {
        const { data } = await campaignStats(campaignId);
        return data?.campaign.stats.converted === 1 ? data.campaign : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(converted!.stats.converted).toBe(1);
    const profile = await gql<{ profileByIdentity: { id: string; messages: { sent: boolean; channel: string; campaign: { id: string; name: string } }[] } }>(PROFILE, { userId });
    expect(profile.errors).toBeUndefined();
    expect(profile.data!.profileByIdentity).toMatchObject({ id: profileId, messages: [{ sent: true, channel: 'EMAIL', campaign: { id: campaignId, name: 'Boots reminder' } }] });
  }, 180_000);

  it("shows an in-app campaign's message to the app holding a valid user token for that user, and to nobody without one", async () => {
    const userId = `reader-${randomUUID()}`;
    const { segmentId } = await shopperInSegment(userId, { tag: userId });
    const campaign = await gql<{ createCampaign: { id: string } }>(CREATE_CAMPAIGN, {
      input: {
        name: 'Boots banner',
        channel: 'IN_APP',
        audience: { includeSegmentIds: [segmentId] },
        inApp: { title: 'Still thinking?', body: 'Your boots are 10 % off today', layout: 'BANNER', buttons: [{ label: 'Open cart', deepLink: 'shop://cart' }], custom: { coupon: 'BOOTS10' } },
      },
    });
    expect(campaign.errors).toBeUndefined();
    const campaignId = campaign.data!.createCampaign.id;
    expect((await gql(START, { id: campaignId })).errors).toBeUndefined();

    // The product's backend mints the user token with its secret key and hands it to its app.
    const minted = await gql<{ createUserToken: { token: string } }>(`mutation($userId: String!) { createUserToken(userId: $userId) { token } }`, { userId });
    expect(minted.errors).toBeUndefined();
    const token = minted.data!.createUserToken.token;
    const messages = await eventually(
      async () => {
        const answer = await gql<{ inAppMessages: unknown[] }>(IN_APP, { token }, publishableKey);
        return answer.data?.inAppMessages.length ? answer.data.inAppMessages : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(messages).toEqual([{ campaignId, title: 'Still thinking?', layout: 'BANNER', buttons: [{ label: 'Open cart', deepLink: 'shop://cart' }], custom: { coupon: 'BOOTS10' } }]);

    const withoutToken = await gql<{ inAppMessages: unknown[] | null }>(IN_APP, {}, publishableKey);
    expect(withoutToken.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'userToken' });
    const forged = await gql<{ inAppMessages: unknown[] | null }>(IN_APP, { token: `${token.slice(0, -4)}AAAA` }, publishableKey);
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'userToken' });
    const otherUser = (await gql<{ createUserToken: { token: string } }>(`mutation { createUserToken(userId: "someone-else") { token } }`, {})).data!.createUserToken.token;
    expect((await gql<{ inAppMessages: unknown[] }>(IN_APP, { token: otherUser }, publishableKey)).data!.inAppMessages).toEqual([]);
  }, 180_000);
});
