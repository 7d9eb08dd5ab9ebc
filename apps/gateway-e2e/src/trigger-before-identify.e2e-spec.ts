import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { eventually } from '@boomerang/platform/testing';
import { bearer, startMailCatcher, startTestPlatform, type CaughtMessage, type MailCatcher, type RunningPlatform } from '../../../tools/dev/test-platform.js';

const CREATE_CAMPAIGN = `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id status } }`;
const START = `mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`;
const STATS = `query($id: ID!) { campaign(id: $id) { stats { requested sent } } }`;

/**
 * The welcome email of an SDK's first flush: `identify` and `Signed Up` in one batch reach events
 * before the user has a profile, so the track is stored and announced without one; once profiles
 * identifies the user, events attaches it and announces it again (EventsAttached), and the
 * triggered campaign sends, once.
 */
describe('a trigger event tracked in the same flush as its identify', () => {
  let catcher: MailCatcher;
  let platform: RunningPlatform;
  let secretKey: string;

  beforeAll(async () => {
    catcher = await startMailCatcher({ smtpPort: 0, webPort: 0 });
    platform = await startTestPlatform({ EMAIL_DEFAULT_SMTP_URL: catcher.smtpUrl, EMAIL_SEND_POLL_MS: '200' }, { readyTimeoutMs: 180_000 });
    const created = await platform.graphql<{ createProject: { secretKey: { key: string } } }>(
      `mutation { createProject(input: { name: "Welcome e2e" }) { secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    expect(created.errors).toBeUndefined();
    secretKey = created.data!.createProject.secretKey.key;
  }, 420_000);
  afterAll(async () => {
    await platform?.stop();
    await catcher?.stop();
  });

  it('sends the welcome email once', async () => {
    const gql = <T>(query: string, variables: Record<string, unknown>) => platform.graphql<T>(query, variables, bearer(secretKey));
    const template = await gql<{ createEmailTemplate: { id: string } }>(`mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }`, {
      input: {
        name: 'Welcome',
        format: 'MJML',
        subject: 'Welcome aboard',
        fromAddress: 'hello@brand.example',
        htmlBody: '<mjml><mj-body><mj-section><mj-column><mj-text>Welcome.</mj-text></mj-column></mj-section></mj-body></mjml>',
      },
    });
    expect(template.errors).toBeUndefined();
    const campaign = await gql<{ createCampaign: { id: string } }>(CREATE_CAMPAIGN, {
      input: { name: 'Welcome', channel: 'EMAIL', email: { templateId: template.data!.createEmailTemplate.id, templateVersion: 1 }, trigger: { event: { name: 'Signed Up' } } },
    });
    expect(campaign.errors).toBeUndefined();
    const campaignId = campaign.data!.createCampaign.id;
    expect((await gql(START, { id: campaignId })).errors).toBeUndefined();

    const userId = `newcomer-${randomUUID()}`;
    const address = `${userId}@example.com`;
    const analytics = new Analytics({ writeKey: secretKey, host: platform.ingestUrl, path: '/v1/batch', flushAt: 2, maxRetries: 3 });
    analytics.identify({ userId, traits: { email: address, 'MSG-email': true } });
    analytics.track({ userId, event: 'Signed Up', properties: { plan: 'free' } });
    await analytics.closeAndFlush();

    const received = (await eventually(() => catcher.messages.find((m: CaughtMessage) => m.envelope.rcptTo.some((rcpt) => rcpt.address === address)), { timeoutMs: 60_000 }))!;
    expect(received.parsed.subject).toBe('Welcome aboard');
    await eventually(
      async () => {
        const { data } = await gql<{ campaign: { stats: { requested: number; sent: number } } }>(STATS, { id: campaignId });
        return data?.campaign.stats.sent === 1 || undefined;
      },
      { timeoutMs: 30_000 },
    );
    // Seen both ways (unlinked at ingest, then attached), it fired once.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(catcher.messages.filter((m: CaughtMessage) => m.envelope.rcptTo.some((rcpt) => rcpt.address === address))).toHaveLength(1);
    const { data } = await gql<{ campaign: { stats: { requested: number; sent: number } } }>(STATS, { id: campaignId });
    expect(data!.campaign.stats).toEqual({ requested: 1, sent: 1 });
  }, 180_000);
});
