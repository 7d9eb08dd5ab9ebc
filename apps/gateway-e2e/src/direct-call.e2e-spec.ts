/**
 * Direct Call end to end through the built platform: call tokens minted through the gateway,
 * signalling over voice's WebSocket, audio through mediasoup. (a) two Node WebRTC peers, (b) two
 * headless Chromium pages running the reference web client, (c) a privacy scan of everything
 * the platform said during a call: no participant's real phone number or email anywhere.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectNats, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bearer, startTestPlatform, type GraphQLResult, type RunningPlatform } from '../../../tools/dev/test-platform.js';
import { CallClient } from '../../../tools/voice/call-client.js';
import { onceProfileKnown } from './profile-known.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT_DIR = join(import.meta.dirname, '../../../dist/test-output/gateway-e2e/direct-call');
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

interface Participant {
  profileId: string;
  email: string;
  phone: string;
}

interface CallOutcome {
  call: { durationSeconds: number; timeline: { state: string }[] };
}
interface CallReports {
  call: { reports: { role: string; kind: string; detail: string | null }[] };
}
interface ProfileEvents {
  profile: { events: { edges: { node: { name: string; properties: { durationSeconds?: number } } }[] } };
}

const until = async (check: () => Promise<unknown> | unknown, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
};

describe('Direct Call through the platform', () => {
  let platform: RunningPlatform;
  let secretKey: string;
  let signalUrl: string;
  /** Every GraphQL response the tests received, for the privacy scan. */
  const responses: unknown[] = [];
  const clients: CallClient[] = [];

  const graphql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const result: GraphQLResult<T> = await platform.graphql<T>(query, variables, bearer(secretKey));
    responses.push(result);
    expect(result.errors).toBeUndefined();
    return result.data!;
  };

  /** A profile with a real-looking, unique phone number and email (the data that must never leak). */
  const createParticipant = async (name: string): Promise<Participant> => {
    const suffix = randomBytes(4).toString('hex');
    const email = `${name}.${suffix}@example.com`;
    const phone = `+4420${String(parseInt(suffix, 16) % 1e8).padStart(8, '0')}`;
    const { createProfile } = await graphql<{ createProfile: { id: string } }>(
      `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`,
      { input: { externalId: `${name}-${suffix}`, email, phone, name } },
    );
    return { profileId: createProfile.id, email, phone };
  };

  const mintToken = async (profileId: string, identity: Record<string, string>) => {
    const result = await onceProfileKnown(() =>
      platform.graphql<{ createCallToken: { token: string; signallingUrl: string } }>(
        `mutation($profileId: ID!, $identity: CallIdentityInput) { createCallToken(profileId: $profileId, ttlSeconds: 600, identity: $identity) { token expiresAt signallingUrl } }`,
        { profileId, identity },
        bearer(secretKey),
      ),
    );
    responses.push(result);
    expect(result.errors).toBeUndefined();
    return result.data!.createCallToken;
  };

  const connectPeer = async (profileId: string, identity: Record<string, string>) => {
    const { token, signallingUrl } = await mintToken(profileId, identity);
    expect(signallingUrl).toBe(signalUrl);
    const client = await CallClient.connect(signallingUrl, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    // Debug logs, so the privacy scan reads everything the apps would ever write about a call.
    platform = await startTestPlatform({ VOICE_MEDIA_WORKERS: '1', LOG_LEVEL: 'debug' });
    const created = await platform.graphql<{ createProject: { secretKey: { key: string } } }>(
      `mutation { createProject(input: { name: "Direct Call" }) { project { id } secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    expect(created.errors).toBeUndefined();
    secretKey = created.data!.createProject.secretKey.key;
    signalUrl = `${platform.voicePublicUrl.replace(/^http/, 'ws')}/calls/signal`;
  }, 180_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(() => platform?.stop(), 60_000);

  describe('(a) two Node WebRTC peers', () => {
    it('rings the callee with context and a masked identity, carries Opus both ways, ends for both on hang-up, and records timeline and outcome events', async () => {
      const courier = await createParticipant('courier');
      const shopper = await createParticipant('shopper');
      const caller = await connectPeer(courier.profileId, { displayName: 'Sam', role: 'Delivery partner' });
      const callee = await connectPeer(shopper.profileId, { displayName: 'Alex' });

      const placed = await caller.placeCall({ calleeProfileId: shopper.profileId, reason: 'Your parcel is at the door', reference: 'order-1042', branding: { brandName: 'Parcelly' } });
      expect(placed).toMatchObject({ state: 'RINGING', remote: { displayName: 'Alex' } });
      const incoming = await callee.waitForState(placed.id, 'RINGING');
      expect(incoming).toMatchObject({
        role: 'CALLEE',
        context: { reason: 'Your parcel is at the door', reference: 'order-1042' },
        branding: { brandName: 'Parcelly' },
        remote: { displayName: 'Sam', role: 'Delivery partner', proxyNumber: expect.stringMatching(/^\+1555\d+$/) },
      });

      const callerPeer = await caller.joinMedia(placed.id);
      await callee.answer(placed.id);
      const calleePeer = await callee.joinMedia(placed.id);
      await until(() => {
        expect(callerPeer.received.packetsReceived).toBeGreaterThan(25);
        expect(calleePeer.received.packetsReceived).toBeGreaterThan(25);
      });
      // Both directions through the SFU: each peer's RTP bytes out and in.
      for (const peer of [callerPeer, calleePeer]) {
        expect(peer.bytesSent).toBeGreaterThan(0);
        expect(peer.received.bytesReceived).toBeGreaterThan(0);
      }

      await caller.hangUp(placed.id);
      const ended = await callee.waitForState(placed.id, 'ENDED');
      expect(ended).toMatchObject({ endReason: 'HANG_UP_CALLER', durationSeconds: expect.any(Number) });

      const { call } = await graphql<CallOutcome>(
        `query($id: ID!) { call(id: $id) { state endReason durationSeconds timeline { state at } participants { role identity { displayName proxyNumber } } } }`,
        { id: placed.id },
      );
      expect(call).toMatchObject({ state: 'ENDED', endReason: 'HANG_UP_CALLER' });
      expect(call.durationSeconds).toBeGreaterThan(0);
      expect(call.timeline.map((entry) => entry.state)).toEqual(['PLACED', 'RINGING', 'ANSWERED', 'ENDED']);

      await until(async () => {
        const { profile } = await graphql<ProfileEvents>(
          `query($id: ID!) { profile(id: $id) { events(first: 20) { edges { node { name properties } } } } }`,
          { id: shopper.profileId },
        );
        const names = profile.events.edges.map((edge) => edge.node.name);
        expect(names).toEqual(expect.arrayContaining(['Call Placed', 'Call Answered', 'Call Ended']));
        const endedEvent = profile.events.edges.find((edge) => edge.node.name === 'Call Ended')!.node;
        expect(endedEvent.properties).toMatchObject({ callId: placed.id, role: expect.stringMatching(/^callee$/i), reason: 'Your parcel is at the door', reference: 'order-1042' });
        expect(endedEvent.properties.durationSeconds).toBeGreaterThan(0);
      }, 30_000);
    }, 90_000);
  });

  describe('(b) headless Chromium with the web client', () => {
    let browser: Browser;
    beforeAll(async () => {
      if (!existsSync(CHROMIUM)) {
        throw new Error(`Chromium is required for the browser test and was not found at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH)`);
      }
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--use-fake-ui-for-media-stream',
          '--use-fake-device-for-media-stream',
        ],
      });
    }, 60_000);
    afterAll(() => browser?.close());

    const openClient = async (profileId: string, identity: Record<string, string>, { microphone = true } = {}): Promise<Page> => {
      const { token } = await mintToken(profileId, identity);
      const page = await browser.newPage();
      if (!microphone) {
        // The user refuses the microphone prompt.
        await page.addInitScript(() => {
          const devices = (globalThis as unknown as { navigator: { mediaDevices: { getUserMedia: unknown } } }).navigator.mediaDevices;
          devices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
        });
      }
      page.on('pageerror', (error) => console.error(`web client error: ${error.message}`));
      await page.goto(`${platform.voicePublicUrl}/calls/client/?token=${encodeURIComponent(token)}`);
      await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
      return page;
    };
    const audioStats = (page: Page) =>
      page.evaluate(() => (globalThis as unknown as { directCall: { stats(): Promise<{ inboundAudioBytes: number; outboundAudioBytes: number }> } }).directCall.stats());

    it('places, shows the incoming call, answers, hears both ways and hangs up', async () => {
      const agent = await createParticipant('agent');
      const customer = await createParticipant('customer');
      const calleePage = await openClient(customer.profileId, { displayName: 'Jordan' });
      const callerPage = await openClient(agent.profileId, { displayName: 'Support', role: 'Parcelly support' });

      await callerPage.getByLabel('Callee profile id').fill(customer.profileId);
      await callerPage.getByLabel('Reason (shown to the callee)').fill('About your missing parcel');
      await callerPage.getByLabel('Reference (optional)').fill('order-2024');
      await callerPage.getByText('Branding shown to the callee (optional)').click();
      await callerPage.getByLabel('Brand name').fill('Parcelly');
      await callerPage.getByLabel('Background colour (#rrggbb)').fill('#101820');
      await callerPage.getByLabel('Text colour (#rrggbb)').fill('#f5f5f5');
      await callerPage.getByLabel('Button colour (#rrggbb)').fill('#1f9d55');
      await callerPage.getByRole('button', { name: 'Call', exact: true }).click();

      const incoming = calleePage.locator('#incoming');
      await incoming.waitFor({ state: 'visible' });
      await expect(incoming.locator('.display-name').textContent()).resolves.toBe('Support');
      await expect(incoming.locator('.identity-role').textContent()).resolves.toBe('Parcelly support');
      await expect(incoming.locator('.reason').textContent()).resolves.toBe('About your missing parcel');
      await expect(incoming.locator('.proxy-number').textContent()).resolves.toMatch(/\+1555\d+/);
      await expect(incoming.locator('.brand-name').textContent()).resolves.toBe('Parcelly');
      await expect(incoming.evaluate((card) => (globalThis as unknown as { getComputedStyle(node: unknown): { backgroundColor: string } }).getComputedStyle(card).backgroundColor)).resolves.toBe('rgb(16, 24, 32)');
      mkdirSync(OUTPUT_DIR, { recursive: true });
      await calleePage.screenshot({ path: join(OUTPUT_DIR, 'incoming-call.png') });

      await calleePage.getByRole('button', { name: 'Answer the call' }).click();
      await until(async () => {
        for (const page of [callerPage, calleePage]) {
          const stats = await audioStats(page);
          expect(stats.inboundAudioBytes).toBeGreaterThan(0);
          expect(stats.outboundAudioBytes).toBeGreaterThan(0);
        }
      }, 30_000);

      await callerPage.getByRole('button', { name: 'Hang up' }).click();
      for (const page of [callerPage, calleePage]) {
        await page.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
      }
    }, 120_000);

    it('reports a refused microphone and keeps the call going one way', async () => {
      const agent = await createParticipant('agent');
      const customer = await createParticipant('customer');
      const calleePage = await openClient(customer.profileId, { displayName: 'Jordan' }, { microphone: false });
      const callerPage = await openClient(agent.profileId, { displayName: 'Support' });
      await callerPage.getByLabel('Callee profile id').fill(customer.profileId);
      await callerPage.getByRole('button', { name: 'Call', exact: true }).click();
      await calleePage.getByRole('button', { name: 'Answer the call' }).click();
      await calleePage.getByRole('status').filter({ hasText: 'microphone is not available' }).waitFor();
      await until(async () => expect((await audioStats(calleePage)).inboundAudioBytes).toBeGreaterThan(0), 30_000);
      expect((await audioStats(calleePage)).outboundAudioBytes).toBe(0);

      const callId = await calleePage.evaluate(() => (globalThis as unknown as { directCall: { callId(): string } }).directCall.callId());
      const { call } = await graphql<CallReports>(`query($id: ID!) { call(id: $id) { reports { role kind detail } } }`, { id: callId });
      expect(call.reports).toEqual([{ role: 'CALLEE', kind: 'MICROPHONE_PERMISSION_DENIED', detail: 'NotAllowedError' }]);
      await calleePage.getByRole('button', { name: 'Hang up' }).click();
      await callerPage.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
    }, 120_000);
  });

  describe('(c) privacy', () => {
    let nats: NatsConnection;
    let subscription: Subscription;
    const published: string[] = [];
    beforeAll(async () => {
      nats = await connectNats({ servers: NATS_URL, name: 'e2e-privacy-scan' });
      subscription = nats.subscribe(`${platform.subjectPrefix}>`, { callback: (_error, message) => void published.push(`${message.subject} ${message.string()}`) });
    });
    afterAll(async () => {
      subscription?.unsubscribe();
      await nats?.drain();
    });

    it('never puts a participant phone number or email in a signalling message, GraphQL response, NATS message or log line during a call', async () => {
      const caller = await createParticipant('privacy-caller');
      const callee = await createParticipant('privacy-callee');
      // Let the profiles' own messages pass before the call starts: the scan covers the call.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      published.length = 0;
      responses.length = 0;
      const logStart = platform.logLines.length;

      const callerClient = await connectPeer(caller.profileId, { displayName: 'Courier' });
      const calleeClient = await connectPeer(callee.profileId, { displayName: 'Customer' });
      const placed = await callerClient.placeCall({ calleeProfileId: callee.profileId, reason: 'Privacy check', reference: 'order-1' });
      await calleeClient.waitForState(placed.id, 'RINGING');
      const callerPeer = await callerClient.joinMedia(placed.id);
      await calleeClient.answer(placed.id);
      const calleePeer = await calleeClient.joinMedia(placed.id);
      await until(() => expect(callerPeer.received.packetsReceived + calleePeer.received.packetsReceived).toBeGreaterThan(20));
      await calleeClient.report(placed.id, 'MICROPHONE_PERMISSION_DENIED', 'NotAllowedError');
      await calleeClient.hangUp(placed.id);
      await callerClient.waitForState(placed.id, 'ENDED');
      await graphql(`query($id: ID!) { call(id: $id) { state timeline { state at } participants { role identity { displayName proxyNumber } } reports { kind detail } } }`, { id: placed.id });
      await graphql(`query($id: ID!) { calls(profileId: $id) { id state } }`, { id: callee.profileId });
      // The subscription sees the platform's subjects: the call's own outcome message arrives.
      await until(() => expect(published.some((message) => message.includes(placed.id) && message.includes('"state":"ENDED"'))).toBe(true), 30_000);

      const scanned = {
        'signalling messages': [...callerClient.messages, ...calleeClient.messages].map((message) => JSON.stringify(message)),
        'GraphQL responses': responses.map((response) => JSON.stringify(response)),
        'NATS messages': [...published],
        'log lines': platform.logLines.slice(logStart),
      };
      expect(scanned['signalling messages'].length).toBeGreaterThan(5);
      expect(scanned['NATS messages'].length).toBeGreaterThan(0);
      expect(scanned['log lines'].length).toBeGreaterThan(0);
      const secrets = [caller.email, caller.phone, callee.email, callee.phone, caller.phone.slice(1), callee.phone.slice(1)];
      const leaks = Object.entries(scanned).flatMap(([where, items]) =>
        items.filter((item) => secrets.some((secret) => item.includes(secret))).map((item) => `${where}: ${item.slice(0, 300)}`),
      );
      expect(leaks).toEqual([]);
    }, 90_000);
  });
});
