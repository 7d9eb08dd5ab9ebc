import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { WebSocket } from 'ws';
import { DataSource } from 'typeorm';
import { EventsIngested, ResolveIdentities } from '@boomerang/contracts';
import { UserTokens } from '@boomerang/platform/auth';
import { applyOwnedStream, serveRpc } from '@boomerang/platform/messaging';
import { Clock } from '@boomerang/platform/subgraph';
import {
  consumedUpTo,
  createTestMessaging,
  eventually,
  publishableKeyCaller,
  publishMessage,
  secretKeyCaller,
  serveProfileIds,
  silentLogger,
  startTestSubgraph,
  TEST_SIGNING_SECRET,
  uniqueSubjectPrefix,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { CampaignEntity } from '../src/campaigns/campaign.entity.js';
import type { CampaignSend } from '../src/channels/campaign-send.js';
import { ChannelDispatch } from '../src/channels/channel-dispatch.js';
import { IN_APP_LIVE_TOKEN_TTL_SECONDS } from '../src/in-app/in-app-live-tokens.js';
import { CLOSE_REASON_EXPIRED } from '../src/in-app/in-app-live.server.js';
import { ENGAGEMENT_EVENTS_DURABLE } from '../src/stats/engagement-events.js';

/** A local receiver that answers each POST with the next status of `statuses` (the last one repeats). */
async function startReceiver(statuses: number[]): Promise<{ url: string; calls: { headers: IncomingHttpHeaders; body: string }[]; server: Server }> {
  const calls: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      calls.push({ headers: request.headers, body });
      response.statusCode = statuses[Math.min(calls.length - 1, statuses.length - 1)]!;
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/campaign`, calls, server };
}

const CONTENT = {
  title: 'Your cart misses you',
  body: 'Come back for 10 % off',
  imageUrl: 'https://cdn.example.com/cart.png',
  layout: 'MODAL',
  buttons: [{ label: 'Open cart', deepLink: 'shop://cart' }],
  custom: { coupon: 'BACK10', priority: 2 },
  expiresInHours: 24,
};

describe('campaign channels', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;
  const receivers: Server[] = [];
  /** The ResolveIdentities answer profiles would give: user id → profile id (profiles itself runs in the gateway e2e). */
  const userProfiles = new Map<string, string>();

  beforeAll(async () => {
    const prefix = uniqueSubjectPrefix();
    messaging = await createTestMessaging(prefix);
    await applyOwnedStream(messaging.jsm, messaging.subjects, 'email');
    await applyOwnedStream(messaging.jsm, messaging.subjects, 'events');
    await applyOwnedStream(messaging.jsm, messaging.subjects, 'segments');
    serveProfileIds(messaging);
    serveRpc(messaging.nc, messaging.subjects, ResolveIdentities, async (request) => ({ profileIds: request.values.map((value) => userProfiles.get(value) ?? null), malformed: [] }), silentLogger);
    Object.assign(process.env, { CAMPAIGNS_WEBHOOK_ATTEMPTS: '3', CAMPAIGNS_WEBHOOK_RETRY_DELAY_SECONDS: '1', CAMPAIGNS_WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'campaigns', prefix });
  });
  afterAll(async () => {
    for (const server of receivers) server.close();
    await sut?.close();
    await messaging?.cleanup();
  });

  const createCampaign = async (projectId: string, input: Record<string, unknown>) =>
    sut.query<{ createCampaign: { id: string; webhook: { secret: string } | null } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id webhook { secret } } }`,
      { input: { name: 'Campaign', audience: { everyone: true }, ...input } },
      secretKeyCaller(projectId),
    );

  /** Sends as the fan-out does: the decisions recorded, then the channel's publish step, in one transaction. */
  const dispatch = async (projectId: string, campaignId: string, profileIds: string[], occurrenceAt = new Date()) => {
    const dataSource = sut.app.get(DataSource);
    await dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO campaign_occurrence (campaign_id, occurrence_at, project_id, status) VALUES ($1, $2, $3, 'running') ON CONFLICT DO NOTHING`, [campaignId, occurrenceAt, projectId]);
      await manager.query(
        `INSERT INTO campaign_delivery (campaign_id, occurrence_at, profile_id, project_id, channel, outcome, decided_at)
         SELECT $1, $2, p, $3, c.channel, 'requested', now() FROM unnest($4::uuid[]) AS p, campaign c WHERE c.id = $1 ON CONFLICT DO NOTHING`,
        [campaignId, occurrenceAt, projectId, profileIds],
      );
      const campaign = await manager.findOneByOrFail(CampaignEntity, { id: campaignId, projectId });
      const sends: CampaignSend[] = profileIds.map((profileId) => ({ profileId, occurrenceAt, idempotencyKey: `campaign:${campaignId}:${occurrenceAt.getTime()}:${profileId}` }));
      await sut.app.get(ChannelDispatch).dispatch(manager, campaign, sends, new Date());
    });
  };

  const stats = async (projectId: string, campaignId: string) => {
    const result = await sut.query<{ campaign: { stats: Record<string, number> } }>(
      `query($id: ID!) { campaign(id: $id) { stats { sent delivered opened clicked dismissed failed } } }`,
      { id: campaignId },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.campaign.stats;
  };

  it('refuses channel content that breaks a rule, naming the field', async () => {
    const projectId = randomUUID();
    const cases: [Record<string, unknown>, string][] = [
      [{ channel: 'EMAIL', inApp: CONTENT }, 'input.inApp'],
      [{ channel: 'IN_APP', inApp: { ...CONTENT, buttons: [{ label: 'x', deepLink: 'javascript:alert(1)' }] } }, 'input.inApp.buttons[0].deepLink'],
      [{ channel: 'IN_APP', inApp: { ...CONTENT, imageUrl: 'http://cdn.example.com/a.png' } }, 'input.inApp.imageUrl'],
      [{ channel: 'IN_APP', inApp: { ...CONTENT, custom: { nested: { no: true } } } }, 'input.inApp.custom.nested'],
      [{ channel: 'WEBHOOK', webhook: { url: 'ftp://example.com/hook' } }, 'input.webhook.url'],
      [{ channel: 'WEBHOOK', webhook: { url: 'https://user:pw@example.com/hook' } }, 'input.webhook.url'],
      [{ channel: 'IN_APP', webhook: { url: 'https://example.com/hook' } }, 'input.webhook'],
    ];
    for (const [input, field] of cases) {
      const result = await createCampaign(projectId, input);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const incomplete = await createCampaign(projectId, { channel: 'IN_APP' });
    const started = await sut.query(`mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`, { id: incomplete.data!.createCampaign.id }, secretKeyCaller(projectId));
    expect(started.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'inApp' });
    expect(await sut.app.get(DataSource).query(`SELECT 1 FROM campaign WHERE project_id = $1`, [projectId])).toHaveLength(1);
  });

  it('creates one in-app message per profile, read with a user token (publishable) or a profile id (secret), until it expires', async () => {
    const projectId = randomUUID();
    const [alice, bob] = [randomUUID(), randomUUID()];
    userProfiles.set('user-alice', alice);
    const created = await createCampaign(projectId, { channel: 'IN_APP', inApp: CONTENT });
    expect(created.errors).toBeUndefined();
    const campaignId = created.data!.createCampaign.id;
    const occurrenceAt = new Date();
    await dispatch(projectId, campaignId, [alice, bob], occurrenceAt);
    await dispatch(projectId, campaignId, [alice, bob], occurrenceAt); // a redelivered page creates nothing twice

    const read = (caller: ReturnType<typeof secretKeyCaller>, args: string) =>
      sut.query<{ inAppMessages: { id: string; campaignId: string; title: string; layout: string; buttons: { deepLink: string }[]; custom: Record<string, unknown>; expiresAt: string }[] }>(
        `query { inAppMessages${args ? `(${args})` : ''} { id campaignId title layout buttons { deepLink } custom expiresAt } }`,
        {},
        caller,
      );
    const token = (await new UserTokens(TEST_SIGNING_SECRET).mint(projectId, 'user-alice', 600, new Date())).token;
    const own = await read(publishableKeyCaller(projectId), `userToken: "${token}"`);
    expect(own.errors).toBeUndefined();
    expect(own.data!.inAppMessages).toEqual([
      expect.objectContaining({ campaignId, title: CONTENT.title, layout: 'MODAL', buttons: [{ deepLink: 'shop://cart' }], custom: CONTENT.custom }),
    ]);

    expect((await read(publishableKeyCaller(projectId), '')).errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'userToken' });
    expect((await read(publishableKeyCaller(projectId), `userToken: "${token}x"`)).errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'userToken' });
    const otherProject = (await new UserTokens(TEST_SIGNING_SECRET).mint(randomUUID(), 'user-alice', 600, new Date())).token;
    expect((await read(publishableKeyCaller(projectId), `userToken: "${otherProject}"`)).errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'userToken' });
    expect((await read(publishableKeyCaller(projectId), `profileId: "${bob}"`)).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'profileId' });
    expect((await read(publishableKeyCaller(projectId), `userToken: "${token}", profileId: "${bob}"`)).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'profileId' });
    const unknownUser = (await new UserTokens(TEST_SIGNING_SECRET).mint(projectId, 'user-nobody', 600, new Date())).token;
    expect((await read(publishableKeyCaller(projectId), `userToken: "${unknownUser}"`)).data!.inAppMessages).toEqual([]);

    const bobs = await read(secretKeyCaller(projectId), `profileId: "${bob}"`);
    expect(bobs.data!.inAppMessages).toHaveLength(1);
    expect(bobs.data!.inAppMessages[0]!.id).not.toBe(own.data!.inAppMessages[0]!.id);
    expect((await read(secretKeyCaller(randomUUID()), `profileId: "${bob}"`)).data!.inAppMessages).toEqual([]);

    await sut.app.get(DataSource).query(`UPDATE campaign_in_app_message SET expires_at = now() - interval '1 second' WHERE profile_id = $1`, [bob]);
    expect((await read(secretKeyCaller(projectId), `profileId: "${bob}"`)).data!.inAppMessages).toEqual([]);
    expect(await stats(projectId, campaignId)).toMatchObject({ sent: 2 });

    // Impressions, clicks and dismissals come back as the client's events on the profile.
    const event = (name: string, profileId: string, campaign = campaignId) => ({
      eventId: randomUUID(),
      messageId: randomUUID(),
      profileId,
      name,
      timestamp: new Date().toISOString(),
      properties: { campaignId: campaign, messageId: own.data!.inAppMessages[0]!.id },
    });
    const ack = await publishMessage(messaging, EventsIngested, projectId, {
      events: [event('In-App Viewed', alice), event('In-App Viewed', alice), event('In-App Clicked', alice), event('In-App Dismissed', bob), event('In-App Clicked', randomUUID()), event('In-App Viewed', bob, randomUUID())],
    });
    await consumedUpTo(messaging, 'events', ENGAGEMENT_EVENTS_DURABLE, ack);
    expect(await stats(projectId, campaignId)).toMatchObject({ sent: 2, opened: 1, clicked: 1, dismissed: 1 });

    // What each profile was sent, and what came of it (Profile.messages, resolved for the gateway by reference).
    const entities = await sut.query<{ _entities: { messages: { sent: boolean; skipReason: string | null; channel: string; engagement: string[]; campaign: { id: string } }[] }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { messages { sent skipReason channel engagement campaign { id } } } } }`,
      { r: [{ __typename: 'Profile', id: alice }, { __typename: 'Profile', id: bob }, { __typename: 'Profile', id: randomUUID() }] },
      secretKeyCaller(projectId),
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data!._entities.map((entity) => entity.messages)).toEqual([
      [{ sent: true, skipReason: null, channel: 'IN_APP', engagement: ['sent', 'opened', 'clicked'], campaign: { id: campaignId } }],
      [{ sent: true, skipReason: null, channel: 'IN_APP', engagement: ['sent', 'dismissed'], campaign: { id: campaignId } }],
      [],
    ]);
    const timeline = await sut.query<{ campaign: { timeline: { start: string; requested: number; sent: number; opened: number; clicked: number }[] } }>(
      `query($id: ID!) { campaign(id: $id) { timeline(interval: HOUR) { start requested sent opened clicked } } }`,
      { id: campaignId },
      secretKeyCaller(projectId),
    );
    const periods = timeline.data!.campaign.timeline;
    expect(periods.every((period) => /T\d\d:00:00\.000Z$/.test(period.start))).toBe(true);
    const total = (key: 'requested' | 'sent' | 'opened' | 'clicked') => periods.reduce((sum, period) => sum + period[key], 0);
    expect([total('requested'), total('sent'), total('opened'), total('clicked')]).toEqual([2, 2, 1, 1]);
  });

  it('pushes new in-app messages on the live socket opened with a short-lived token', async () => {
    const projectId = randomUUID();
    const carol = randomUUID();
    userProfiles.set('user-carol', carol);
    const campaignId = (await createCampaign(projectId, { channel: 'IN_APP', inApp: { ...CONTENT, layout: 'BANNER' } })).data!.createCampaign.id;
    await dispatch(projectId, campaignId, [carol], new Date(Date.now() - 60_000));
    const userToken = (await new UserTokens(TEST_SIGNING_SECRET).mint(projectId, 'user-carol', 600, new Date())).token;
    const minted = await sut.query<{ createInAppLiveToken: { url: string; expiresAt: string } }>(
      `mutation($t: String) { createInAppLiveToken(userToken: $t) { url expiresAt } }`,
      { t: userToken },
      publishableKeyCaller(projectId),
    );
    expect(minted.errors).toBeUndefined();
    const refused = await sut.query(`mutation { createInAppLiveToken { url } }`, {}, publishableKeyCaller(projectId));
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'userToken' });

    const frames: { type: string; messages?: unknown[]; message?: { campaignId: string; layout: string } }[] = [];
    const socket = new WebSocket(minted.data!.createInAppLiveToken.url);
    socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
    try {
      await eventually(() => (frames.length >= 1 ? true : null));
      expect(frames[0]).toMatchObject({ type: 'messages', messages: [expect.objectContaining({ campaignId })] });
      await dispatch(projectId, campaignId, [carol, randomUUID()]);
      const pushed = await eventually(() => frames.find((frame) => frame.type === 'message') ?? null);
      expect(pushed!.message).toMatchObject({ campaignId, layout: 'BANNER' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(frames.filter((frame) => frame.type === 'message')).toHaveLength(1); // the other profile's message is not pushed here
    } finally {
      socket.close();
    }

    const forged = new WebSocket(minted.data!.createInAppLiveToken.url.replace(/token=[^&]+/, 'token=forged'));
    const closed = await new Promise<number>((resolve) => forged.on('close', (code) => resolve(code)));
    expect(closed).toBe(4401);
  });

  it('closes a live socket when its token expires, with 4401 and the reason', async () => {
    const projectId = randomUUID();
    const dave = randomUUID();
    // Minted by a clock 298 s back: the 5-minute token has 2 s left on the real clock the socket then runs on.
    const now = jest.spyOn(sut.app.get(Clock), 'now').mockReturnValue(new Date(Date.now() - (IN_APP_LIVE_TOKEN_TTL_SECONDS - 2) * 1000));
    const minted = await sut.query<{ createInAppLiveToken: { url: string; expiresAt: string } }>(
      `mutation($p: ID) { createInAppLiveToken(profileId: $p) { url expiresAt } }`,
      { p: dave },
      secretKeyCaller(projectId),
    );
    now.mockRestore();
    expect(minted.errors).toBeUndefined();
    const openedAt = Date.now();
    const socket = new WebSocket(minted.data!.createInAppLiveToken.url);
    const frames: string[] = [];
    socket.on('message', (data) => frames.push(data.toString()));
    const [code, reason] = await new Promise<[number, string]>((resolve) => socket.on('close', (closeCode, closeReason) => resolve([closeCode, closeReason.toString()])));
    expect(frames.map((frame) => JSON.parse(frame).type)).toEqual(['messages']); // it was admitted, then closed at expiry
    expect([code, reason]).toEqual([4401, CLOSE_REASON_EXPIRED]);
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(minted.data!.createInAppLiveToken.expiresAt).getTime() - 50);
    expect(Date.now() - openedAt).toBeLessThan(10_000);
  });

  it('POSTs a signed payload per send, retrying with backoff until it is accepted', async () => {
    const projectId = randomUUID();
    const receiver = await startReceiver([500, 503, 204]);
    receivers.push(receiver.server);
    const created = await createCampaign(projectId, { channel: 'WEBHOOK', webhook: { url: receiver.url, custom: { source: 'boomerang' } } });
    expect(created.errors).toBeUndefined();
    const { id: campaignId, webhook } = created.data!.createCampaign;
    const profileId = randomUUID();
    await dispatch(projectId, campaignId, [profileId]);

    const row = await eventually(
      async () => {
        const [found] = await sut.app.get(DataSource).query(`SELECT id, status, attempts, response_status FROM campaign_webhook_delivery WHERE campaign_id = $1`, [campaignId]);
        return found?.status === 'delivered' ? found : null;
      },
      { timeoutMs: 30_000 },
    );
    expect(row).toMatchObject({ attempts: 3, response_status: 204 });
    expect(receiver.calls).toHaveLength(3);
    // The same message id on every attempt, so the receiver can dedupe; each attempt verifies with the campaign's secret.
    expect(new Set(receiver.calls.map((call) => call.headers['webhook-id']))).toEqual(new Set([`msg_${row.id}`]));
    for (const call of receiver.calls) {
      const payload = new Webhook(webhook!.secret).verify(call.body, call.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
      expect(payload).toMatchObject({ type: 'campaign.message', data: { campaignId, profileId, custom: { source: 'boomerang' } } });
      expect(call.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    }
    expect(await stats(projectId, campaignId)).toMatchObject({ sent: 1, delivered: 1, failed: 0 });
  }, 40_000);

  it('dead-letters a send its receiver never accepts, with the last response code', async () => {
    const projectId = randomUUID();
    const receiver = await startReceiver([500]);
    receivers.push(receiver.server);
    const created = await createCampaign(projectId, { channel: 'WEBHOOK', webhook: { url: receiver.url } });
    const campaignId = created.data!.createCampaign.id;
    await dispatch(projectId, campaignId, [randomUUID()]);
    const row = await eventually(
      async () => {
        const [found] = await sut.app.get(DataSource).query(`SELECT status, attempts, response_status, last_error, finished_at FROM campaign_webhook_delivery WHERE campaign_id = $1`, [campaignId]);
        return found?.status === 'dead' ? found : null;
      },
      { timeoutMs: 30_000 },
    );
    expect(row).toMatchObject({ attempts: 3, response_status: 500, last_error: 'the receiver answered 500' });
    expect(row.finished_at).toBeInstanceOf(Date);
    // No attempt after the dead letter.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(receiver.calls).toHaveLength(3);
    expect(await stats(projectId, campaignId)).toMatchObject({ sent: 0, delivered: 0, failed: 1 });
  }, 40_000);
});
