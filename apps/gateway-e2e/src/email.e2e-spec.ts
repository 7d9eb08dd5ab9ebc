import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { EmailSendRequested } from '@boomerang/contracts';
import { connectMessaging, type Messaging } from '@boomerang/platform/messaging';
import { eventually, TEST_NATS_URL } from '@boomerang/platform/testing';
import { bearer, startMailCatcher, startTestPlatform, type CaughtMessage, type MailCatcher, type RunningPlatform } from '../../../tools/dev/test-platform.js';

const CREATE_TEMPLATE = `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id version } }`;
const SEND_TEST = `mutation($templateId: ID!, $to: String!, $profileId: ID) { sendTestEmail(templateId: $templateId, to: $to, profileId: $profileId) { messageId smtpResponse } }`;
const PROFILE = `query($userId: String!) { profileByIdentity(kind: USER_ID, value: $userId) {
  id consent emails { status openCount clickCount unsubscribedAt }
  events(first: 50) { edges { node { name properties } } } } }`;

interface ProfileView {
  id: string;
  consent: { email?: { subscribed?: boolean } } | null;
  emails: { status: string; openCount: number; clickCount: number; unsubscribedAt: string | null }[] | null;
  events: { edges: { node: { name: string; properties: Record<string, unknown> } }[] } | null;
}

const MJML = `<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ profile.first_name | default: "there" }},</mj-text>
<mj-text>Your {{ event.item | default: "order" }} is waiting.</mj-text>
<mj-button href="https://shop.example/cart?ref=e2e">Back to the cart</mj-button>
</mj-column></mj-section></mj-body></mjml>`;

/**
 * Email through the whole platform, with `npm start`'s mail catcher as the SMTP server: a template
 * made through the gateway, a profile from the ingestion API (a Segment client), a test send and a
 * send command as campaigns publish it; the open pixel and a click come back as events on the
 * profile, and a one-click unsubscribe turns the profile's email consent off.
 */
describe('email end to end', () => {
  let catcher: MailCatcher;
  let platform: RunningPlatform;
  let messaging: Messaging;
  let projectId: string;
  let secretKey: string;
  let templateId: string;
  const userId = `reader-${randomUUID()}`;
  const address = `${userId}@example.com`;

  const profile = async () => {
    const answer = await platform.graphql<{ profileByIdentity: ProfileView | null }>(PROFILE, { userId }, bearer(secretKey));
    expect(answer.errors).toBeUndefined();
    return answer.data!.profileByIdentity;
  };
  const eventNames = (view: ProfileView | null) => (view?.events?.edges ?? []).map((edge) => edge.node.name);
  const caught = async (predicate: (message: CaughtMessage) => boolean): Promise<CaughtMessage> =>
    (await eventually(() => catcher.messages.find(predicate), { timeoutMs: 30_000 }))!;

  beforeAll(async () => {
    catcher = await startMailCatcher({ smtpPort: 0, webPort: 0 });
    // Nine apps starting at once on a shared 2-core machine can take more than the launcher's minute each.
    platform = await startTestPlatform({ EMAIL_DEFAULT_SMTP_URL: catcher.smtpUrl, EMAIL_SEND_POLL_MS: '200' }, { readyTimeoutMs: 180_000 });
    const created = await platform.graphql<{ createProject: { project: { id: string }; secretKey: { key: string } } }>(
      `mutation { createProject(input: { name: "Email e2e" }) { project { id } secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    expect(created.errors).toBeUndefined();
    projectId = created.data!.createProject.project.id;
    secretKey = created.data!.createProject.secretKey.key;
    messaging = await connectMessaging({ url: TEST_NATS_URL, name: 'email-e2e', prefix: platform.subjectPrefix });

    const template = await platform.graphql<{ createEmailTemplate: { id: string; version: number } }>(
      CREATE_TEMPLATE,
      {
        input: {
          name: 'Cart reminder',
          format: 'MJML',
          subject: '{{ profile.first_name | default: "Hi" }}, your cart',
          preheader: 'Still there',
          fromAddress: 'shop@brand.example',
          fromName: 'Brand',
          htmlBody: MJML,
          promotion: { offer: { description: '10% off', discountCode: 'CART10' } },
        },
      },
      bearer(secretKey),
    );
    expect(template.errors).toBeUndefined();
    templateId = template.data!.createEmailTemplate.id;

    const analytics = new Analytics({ writeKey: secretKey, host: platform.ingestUrl, path: '/v1/batch', flushAt: 1, maxRetries: 3 });
    analytics.identify({ userId, traits: { email: address, first_name: 'Ada', 'MSG-email': true } });
    await analytics.closeAndFlush();
  }, 420_000);
  afterAll(async () => {
    await messaging?.nc.close();
    await platform?.stop();
    await catcher?.stop();
  });

  it('sendTestEmail through the gateway lands in the mail catcher, personalized, and its inbox page lists it', async () => {
    const { id: profileId } = (await eventually(profile, { timeoutMs: 30_000 }))!;
    // email learns the profile from ProfileChanged; until then a preview for it is NOT_FOUND.
    const sent = (await eventually(
      async () => {
        const answer = await platform.graphql<{ sendTestEmail: { messageId: string; smtpResponse: string } }>(
          SEND_TEST,
          { templateId, to: 'tester@example.com', profileId },
          bearer(secretKey),
        );
        return answer.errors ? undefined : answer.data!.sendTestEmail;
      },
      { timeoutMs: 30_000 },
    ))!;
    expect(sent.smtpResponse).toMatch(/^250/);
    const message = await caught((m) => m.parsed.messageId === sent.messageId);
    expect(message.envelope.rcptTo.map((rcpt) => rcpt.address)).toEqual(['tester@example.com']);
    expect(message.parsed.subject).toBe('[Test] Ada, your cart');
    expect(message.parsed.text).toContain('Hello Ada,');
    expect(message.parsed.headers.get('x-boomerang-test')).toBe('true');

    const inbox = await (await fetch(catcher.webUrl)).text();
    expect(inbox).toContain('[Test] Ada, your cart');
    const listed = (await (await fetch(new URL('messages.json', catcher.webUrl))).json()) as { id: number; subject: string }[];
    const page = await (await fetch(new URL(`messages/${listed.find((m) => m.subject === '[Test] Ada, your cart')!.id}`, catcher.webUrl))).text();
    expect(page).toContain('Hello Ada,');
  });

  it('a send command as campaigns publish it is delivered; open and click become events on the profile; one-click unsubscribe turns email consent off', async () => {
    const { id: profileId } = (await eventually(profile, { timeoutMs: 30_000 }))!;
    await messaging.js.publish(
      messaging.subjects.subject(EmailSendRequested, projectId),
      JSON.stringify({
        projectId,
        occurredAt: new Date().toISOString(),
        templateId,
        templateVersion: 1,
        profileId,
        campaignId: randomUUID(),
        journeyId: null,
        idempotencyKey: `e2e-${randomUUID()}`,
        event: { item: 'red boots' },
      }),
      { msgID: randomUUID() },
    );
    const message = await caught((m) => m.envelope.rcptTo.some((rcpt) => rcpt.address === address));
    const { parsed } = message;
    expect(parsed.subject).toBe('Ada, your cart');
    expect(parsed.from!.value[0]).toEqual({ address: 'shop@brand.example', name: 'Brand' });
    expect(parsed.text).toContain('Your red boots is waiting.');
    const html = parsed.html as string;
    expect(html).toContain('Hello Ada,');
    const jsonLd = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html);
    expect(JSON.parse(jsonLd![1]!)).toEqual(expect.arrayContaining([expect.objectContaining({ '@type': 'DiscountOffer', discountCode: 'CART10' })]));
    const unsubscribeHeader = parsed.headerLines.find((line) => line.key === 'list-unsubscribe')!.line;
    const oneClick = /<(https?:\/\/[^>]+\/t\/u\/[^>]+)>/.exec(unsubscribeHeader)![1]!;
    expect(unsubscribeHeader).toMatch(/<mailto:u\+[^>]+\?subject=unsubscribe>/);
    expect(parsed.headerLines.find((line) => line.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    const pixel = /<img[^>]+src="(https?:\/\/[^"]+\/t\/o\/[^"]+)"/.exec(html)![1]!;
    const opened = await fetch(pixel);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('image/gif');
    const link = /href="(https?:\/\/[^"]+\/t\/c\/[^"]+)"/.exec(html)![1]!;
    const clicked = await fetch(link, { redirect: 'manual' });
    expect(clicked.status).toBe(302);
    expect(clicked.headers.get('location')).toBe('https://shop.example/cart?ref=e2e');

    const engaged = await eventually(
      async () => {
        const view = await profile();
        const names = eventNames(view);
        return ['Email Sent', 'Email Delivered', 'Email Opened', 'Email Clicked'].every((name) => names.includes(name)) ? view : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const clickEvent = engaged!.events!.edges.find((edge) => edge.node.name === 'Email Clicked')!.node;
    expect(clickEvent.properties).toMatchObject({ url: 'https://shop.example/cart?ref=e2e', linkIndex: 0, templateId });
    expect(engaged!.emails![0]).toMatchObject({ status: 'SENT', openCount: 1, clickCount: 1, unsubscribedAt: null });
    expect(engaged!.consent?.email?.subscribed).toBe(true);

    const unsubscribed = await fetch(oneClick, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(unsubscribed.status).toBe(200);
    const after = await eventually(
      async () => {
        const view = await profile();
        return view?.consent?.email?.subscribed === false && eventNames(view).includes('Email Unsubscribed') ? view : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(after!.emails![0]!.unsubscribedAt).not.toBeNull();
  });
});
