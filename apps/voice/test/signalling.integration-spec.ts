/**
 * The signalling WebSocket against a real voice subgraph (PostgreSQL, NATS, mediasoup) with real
 * graphql-ws clients and Node WebRTC peers: token admission, presence, call control, media
 * negotiation, updates to the other side, media closed at the end, vanished clients.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { eventually, seedKnownProfiles, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { CallClient } from '../../../tools/voice/call-client.js';
import { OPERATIONS, SignallingRequestError, type CallView } from '../client/protocol.js';
import type { CallMedia } from '../src/media/call-media.service.js';
import type { ConnectedClients } from '../src/presence/connected-clients.js';
import type { CallTokens } from '../src/tokens/call-tokens.js';
import type { VoicePublicServer } from '../src/signalling/voice-public.server.js';

/** Retries an assertion until it passes (eventually() wants a truthy value). */
const until = (assertion: () => unknown, options?: { timeoutMs?: number }) =>
  eventually(async () => {
    await assertion();
    return true;
  }, options);

const TOKEN_SECRET = 'signalling-test-token-secret-0123456789abcdef';

describe('call signalling (graphql-ws at /calls/signal)', () => {
  let sut: TestSubgraph;
  let publicServer: VoicePublicServer;
  let signalUrl: string;
  let tokens: CallTokens;
  let media: CallMedia;
  let presence: ConnectedClients;
  const clients: CallClient[] = [];

  beforeAll(async () => {
    Object.assign(process.env, {
      VOICE_TOKEN_SECRET: TOKEN_SECRET,
      VOICE_RECONNECT_GRACE_SECONDS: '1',
      VOICE_MEDIA_WORKERS: '1',
      VOICE_RING_TIMEOUT_SECONDS: '30',
      // A vanished media peer is noticed after the shortest consent timeout mediasoup allows.
      VOICE_ICE_CONSENT_TIMEOUT_SECONDS: '10',
      VOICE_MEDIA_DISCONNECT_GRACE_SECONDS: '0',
    });
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'voice' });
    publicServer = sut.app.get((await import('../src/signalling/voice-public.server.js')).VoicePublicServer);
    signalUrl = `${publicServer.url.replace(/^http/, 'ws')}/calls/signal`;
    const { CallTokens } = await import('../src/tokens/call-tokens.js');
    const { CallMedia } = await import('../src/media/call-media.service.js');
    const { ConnectedClients } = await import('../src/presence/connected-clients.js');
    tokens = sut.app.get(CallTokens);
    media = sut.app.get(CallMedia);
    presence = sut.app.get(ConnectedClients);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(() => sut?.close());

  /** A token of the profile, which voice then knows. */
  const tokenOf = async (projectId: string, profileId: string, identity?: { displayName?: string; role?: string }) => {
    await seedKnownProfiles(sut, projectId, [profileId]);
    return (await tokens.mint(projectId, profileId, 600, identity)).token;
  };
  const connect = async (projectId: string, profileId: string, identity?: { displayName?: string; role?: string }) => {
    const token = await tokenOf(projectId, profileId, identity);
    const client = await CallClient.connect(signalUrl, token);
    clients.push(client);
    return client;
  };
  const refusal = (token: string) => CallClient.connect(signalUrl, token).then(
    () => {
      throw new Error('the socket was admitted');
    },
    (error: Error & { code?: number }) => error,
  );
  const signToken = (claims: { project: string; sub: string; expiresInSeconds: number }) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ project: claims.project })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('boomerang-voice')
      .setAudience('voice-signalling')
      .setSubject(claims.sub)
      .setJti(randomUUID())
      .setIssuedAt(now - 60)
      .setExpirationTime(now + claims.expiresInSeconds)
      .sign(new TextEncoder().encode(TOKEN_SECRET));
  };

  /** A caller and a callee of one project, both connected, and a RINGING call between them. */
  const ringingCall = async () => {
    const projectId = randomUUID();
    const callerId = randomUUID();
    const calleeId = randomUUID();
    const callee = await connect(projectId, calleeId);
    const caller = await connect(projectId, callerId);
    const placed = await caller.placeCall({
      calleeProfileId: calleeId,
      reason: 'Your parcel is at the door',
      reference: 'order-1042',
      branding: { brandName: 'Parcelly', backgroundColor: '#101820', fontColor: '#ffffff', buttonColor: '#22aa55' },
      callerIdentity: { displayName: 'Sam', role: 'Delivery partner' },
      calleeIdentity: { displayName: 'Customer' },
    });
    return { projectId, callerId, calleeId, caller, callee, placed };
  };

  describe('admission', () => {
    it('closes the socket with 4401 for a missing, forged or expired token', async () => {
      expect((await refusal('')).code).toBe(4401);
      expect((await refusal('not-a-token')).code).toBe(4401);
      const forged = await new SignJWT({ project: randomUUID() })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(randomUUID())
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
      expect((await refusal(forged)).code).toBe(4401);
      const expired = await signToken({ project: randomUUID(), sub: randomUUID(), expiresInSeconds: -5 });
      const error = await refusal(expired);
      expect(error.code).toBe(4401);
    });

    it('closes an open socket with 4401 when its token expires, and the profile leaves presence', async () => {
      const projectId = randomUUID();
      const profileId = randomUUID();
      const token = await signToken({ project: projectId, sub: profileId, expiresInSeconds: 2 });
      const client = await CallClient.connect(signalUrl, token);
      clients.push(client);
      expect(presence.isConnected(projectId, profileId)).toBe(true);
      await until(() => expect(client.closed?.code).toBe(4401), { timeoutMs: 5000 });
      expect(presence.isConnected(projectId, profileId)).toBe(false);
    });

    it('counts a profile connected while any of its sockets is open', async () => {
      const projectId = randomUUID();
      const profileId = randomUUID();
      const first = await connect(projectId, profileId);
      const second = await connect(projectId, profileId);
      expect(presence.isConnected(projectId, profileId)).toBe(true);
      await first.close();
      await until(() => expect(presence.isConnected(projectId, profileId)).toBe(true));
      await second.close();
      await until(() => expect(presence.isConnected(projectId, profileId)).toBe(false));
    });
  });

  describe('a call over signalling', () => {
    it('rings the callee with context, branding and masked identities, then carries Opus both ways until hang-up', async () => {
      const { callerId, calleeId, caller, callee, placed } = await ringingCall();
      expect(placed).toMatchObject({ state: 'RINGING', role: 'CALLER', remote: { displayName: 'Customer' } });

      const incoming = await callee.waitForState(placed.id, 'RINGING');
      expect(incoming).toMatchObject({
        role: 'CALLEE',
        context: { reason: 'Your parcel is at the door', reference: 'order-1042' },
        branding: { brandName: 'Parcelly', backgroundColor: '#101820', fontColor: '#ffffff', buttonColor: '#22aa55' },
        remote: { displayName: 'Sam', role: 'Delivery partner' },
      });
      expect(incoming.remote.proxyNumber).toMatch(/^\+1555\d+$/);

      // The caller prepares media while it rings; the callee may not until it answers.
      const callerPeer = await caller.joinMedia(placed.id);
      await expect(callee.joinMedia(placed.id)).rejects.toMatchObject({ code: 'CONFLICT', errors: [{ extensions: { reason: 'MEDIA_NOT_AVAILABLE' } }] });

      const answered = await callee.answer(placed.id);
      expect(answered.state).toBe('ANSWERED');
      await caller.waitForState(placed.id, 'ANSWERED');
      const calleePeer = await callee.joinMedia(placed.id);
      await caller.waitForUpdate((update) => update.__typename === 'RemoteMediaUpdate' && update.callId === placed.id);

      await until(
        () => {
          expect(callerPeer.received.packetsReceived).toBeGreaterThan(10);
          expect(calleePeer.received.packetsReceived).toBeGreaterThan(10);
        },
        { timeoutMs: 15_000 },
      );
      const stats = await media.stats(placed.id);
      for (const participant of ['CALLER', 'CALLEE']) {
        const entry = stats.find((s) => s.participant === participant)!;
        expect(entry.bytesReceived).toBeGreaterThan(0);
        expect(entry.bytesSent).toBeGreaterThan(0);
      }

      await callee.setMuted(placed.id, true);
      await caller.waitForUpdate((update) => update.__typename === 'RemoteMutedUpdate' && update.muted);

      const ended = await caller.hangUp(placed.id);
      expect(ended).toMatchObject({ state: 'ENDED', endReason: 'HANG_UP_CALLER' });
      const calleeEnded = await callee.waitForState(placed.id, 'ENDED');
      expect(calleeEnded.durationSeconds).toEqual(expect.any(Number));
      await until(async () => expect(await media.stats(placed.id)).toEqual([]));

      // Nothing either side received names the other's profile.
      for (const [client, otherId] of [
        [caller, calleeId],
        [callee, callerId],
      ] as const) {
        expect(JSON.stringify(client.messages)).not.toContain(otherId);
      }
    });

    it('lets a ringing call be declined or cancelled, and tells the other side', async () => {
      const first = await ringingCall();
      await first.callee.waitForState(first.placed.id, 'RINGING');
      expect((await first.callee.decline(first.placed.id)).state).toBe('DECLINED');
      await first.caller.waitForState(first.placed.id, 'DECLINED');

      const second = await ringingCall();
      await second.callee.waitForState(second.placed.id, 'RINGING');
      expect((await second.caller.hangUp(second.placed.id)).state).toBe('CANCELLED');
      await second.callee.waitForState(second.placed.id, 'CANCELLED');
    });

    it('acts only as the token profile, and only in its project', async () => {
      const { projectId, caller, placed } = await ringingCall();
      const stranger = await connect(projectId, randomUUID());
      await expect(stranger.answer(placed.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(stranger.call(placed.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(stranger.send(OPERATIONS.joinMedia, { callId: placed.id, direction: 'SEND' })).rejects.toBeInstanceOf(SignallingRequestError);
      // The caller cannot answer its own call.
      await expect(caller.answer(placed.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });

      const otherProject = await connect(randomUUID(), randomUUID());
      await expect(otherProject.call(placed.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(otherProject.hangUp(placed.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('names the field and the rule for bad input', async () => {
      const projectId = randomUUID();
      const caller = await connect(projectId, randomUUID());
      const error = (await caller.placeCall({ calleeProfileId: randomUUID(), reason: 'x'.repeat(65) }).catch((e) => e)) as SignallingRequestError;
      expect(error.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reason' });
      const kind = (await caller.send(OPERATIONS.produce, { callId: randomUUID(), kind: 'video', rtpParameters: {} }).catch((e) => e)) as SignallingRequestError;
      expect(kind.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
    });

    it('records a client report', async () => {
      const { caller, placed } = await ringingCall();
      expect(await caller.report(placed.id, 'MICROPHONE_PERMISSION_DENIED', 'NotAllowedError')).toBe(true);
    });
  });

  describe('the reference web client', () => {
    it('is served at /calls/client/ (page, bundle, styles) on the public port and nothing else is', async () => {
      const base = `${publicServer.url}/calls/client`;
      const page = await fetch(`${base}/?token=abc`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<script type="module" src="/calls/client/app.js">');
      const bundle = await fetch(`${base}/app.js`);
      expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect((await bundle.text()).length).toBeGreaterThan(10_000);
      expect((await fetch(`${base}/style.css`)).status).toBe(200);
      expect((await fetch(`${base}/main.js`)).status).toBe(404);
      expect((await fetch(`${base}/..%2F..%2Fsrc%2Fmain.js`)).status).toBe(404);
      expect((await fetch(`${publicServer.url}/calls/clientapp.js`)).status).toBe(404);
      expect((await fetch(`${base}/app.js`, { method: 'POST' })).status).toBe(405);
    });

    it('keeps the public port and the subgraph port apart: no /graphql or health in public, no calls on the subgraph port', async () => {
      expect(publicServer.port).not.toBe(new URL(sut.url).port);
      const publicGraphql = await fetch(`${publicServer.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(publicGraphql.status).toBe(405);
      expect((await fetch(`${publicServer.url}/graphql`)).status).toBe(404);
      expect((await fetch(`${publicServer.url}/health/ready`)).status).toBe(404);
      expect((await fetch(sut.url.replace(/\/graphql$/, '/calls/client/'))).status).toBe(404);
      const subgraphSignal = await CallClient.connect(sut.url.replace(/^http/, 'ws').replace(/\/graphql$/, '/calls/signal'), await tokenOf(randomUUID(), randomUUID())).then(
        (client) => (clients.push(client), 'connected'),
        () => 'refused',
      );
      expect(subgraphSignal).toBe('refused');
    });
  });

  describe('clean-up', () => {
    it('ends an answered call with CONNECTION_LOST when a participant does not reconnect within the grace period', async () => {
      const { caller, callee, placed } = await ringingCall();
      await callee.answer(placed.id);
      await callee.close();
      const ended = await caller.waitForState(placed.id, 'ENDED', 10_000);
      expect(ended.endReason).toBe('CONNECTION_LOST');
    });

    it('keeps the call when the participant reconnects within the grace period', async () => {
      const { projectId, calleeId, caller, callee, placed } = await ringingCall();
      await callee.answer(placed.id);
      await callee.close();
      const back = await connect(projectId, calleeId);
      expect((await back.activeCall())?.id).toBe(placed.id);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await caller.call(placed.id)).state).toBe('ANSWERED');
    });

    it('fails a ringing call whose caller vanished', async () => {
      const { callee, caller, placed } = await ringingCall();
      await caller.close();
      const failed: CallView = await callee.waitForState(placed.id, 'FAILED', 10_000);
      expect(failed.endReason).toBe('CONNECTION_LOST');
    });

    it('fails the call with MEDIA_FAILED when a participant media vanishes while its signalling stays', async () => {
      const { caller, callee, placed } = await ringingCall();
      await callee.answer(placed.id);
      const callerPeer = await caller.joinMedia(placed.id);
      const calleePeer = await callee.joinMedia(placed.id);
      await until(() => expect(calleePeer.received.packetsReceived).toBeGreaterThan(0), { timeoutMs: 15_000 });
      await callerPeer.vanish();
      const failed = await callee.waitForState(placed.id, 'FAILED', 25_000);
      expect(failed.endReason).toBe('MEDIA_FAILED');
      await until(async () => expect(await media.stats(placed.id)).toEqual([]));
    });
  });
});
