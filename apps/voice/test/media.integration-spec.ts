/**
 * Integration test: CallMedia on real mediasoup workers with two Node WebRTC peers (msc-node on
 * werift) per call, negotiating directly with CallMedia (no signalling).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LOGGER } from '@boomerang/platform/subgraph';
import { eventually, silentLogger } from '@boomerang/platform/testing';
import { CallMedia, type MediaFailureReason, type MediaSettings, type Participant } from '../src/media/call-media.service.js';
import { MediaErrorCode } from '../src/media/media.errors.js';
import { MediaModule } from '../src/media/media.module.js';
import { MediaWorkerPool } from '../src/media/media-worker-pool.js';
import { VOICE_CONFIG } from '../src/voice-config.js';
import { callMediaNegotiator, type MediaNegotiator } from './support/media-negotiator.js';
import { NodeCallPeer } from './support/node-call-peer.js';

const TIMEOUT_MS = 40_000;
const CONSENT_TIMEOUT_SECONDS = 10;
const GRACE_SECONDS = 2;
const CONNECT_TIMEOUT_SECONDS = 4;
/** werift sends a consent check every 4-6 s; mediasoup's consent timer runs from the last one. */
const MAX_CONSENT_INTERVAL_SECONDS = 6;

const settings: MediaSettings & ConstructorParameters<typeof MediaWorkerPool>[0] = {
  VOICE_MEDIA_WORKERS: 2,
  VOICE_MEDIA_LOG_LEVEL: 'error',
  VOICE_RTC_MIN_PORT: 40000,
  VOICE_RTC_MAX_PORT: 49999,
  VOICE_LISTEN_IP: '127.0.0.1',
  VOICE_ANNOUNCED_IP: undefined,
  VOICE_ICE_CONSENT_TIMEOUT_SECONDS: CONSENT_TIMEOUT_SECONDS,
  VOICE_MEDIA_DISCONNECT_GRACE_SECONDS: GRACE_SECONDS,
  VOICE_MEDIA_CONNECT_TIMEOUT_SECONDS: CONNECT_TIMEOUT_SECONDS,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Retries the assertions until they pass (eventually() wants a truthy result). */
const settled = (assert: () => void, options?: { timeoutMs?: number }) =>
  eventually(() => {
    assert();
    return true;
  }, options);

describe('CallMedia (real mediasoup workers, Node WebRTC peers)', () => {
  let pool: MediaWorkerPool;
  let sut: CallMedia;
  let failures: { callId: string; participant: Participant; reason: MediaFailureReason; atMs: number }[];
  const peers: NodeCallPeer[] = [];

  beforeEach(async () => {
    pool = new MediaWorkerPool(settings, silentLogger);
    sut = new CallMedia(pool, settings, silentLogger);
    failures = [];
    sut.onParticipantFailed((callId, participant, reason) => failures.push({ callId, participant, reason, atMs: performance.now() }));
    await pool.start();
  }, TIMEOUT_MS);

  afterEach(() => {
    for (const peer of peers.splice(0)) peer.close();
    sut.onApplicationShutdown();
    pool.close();
  });

  /** A call with both peers producing and consuming each other, audio flowing both ways. */
  async function connectedCall(callId = randomUUID()) {
    const caller = await NodeCallPeer.join(callMediaNegotiator(sut, callId, 'CALLER'));
    const callee = await NodeCallPeer.join(callMediaNegotiator(sut, callId, 'CALLEE'));
    peers.push(caller, callee);
    expect(await caller.consumeRemote()).toBe(true);
    expect(await callee.consumeRemote()).toBe(true);
    await settled(() => expect(caller.received.packetsReceived > 5 && callee.received.packetsReceived > 5).toBe(true));
    return { callId, caller, callee };
  }

  it(
    'carries Opus RTP both ways: the SFU counts bytes in both directions and each peer receives the other',
    async () => {
      const { callId, caller, callee } = await connectedCall();
      await sleep(1000);

      const stats = await sut.stats(callId);
      expect(stats.map((entry) => entry.participant).sort()).toEqual(['CALLEE', 'CALLER']);
      for (const entry of stats) {
        expect(entry.bytesReceived).toBeGreaterThan(2000);
        expect(entry.bytesSent).toBeGreaterThan(2000);
        expect(entry.packetsLost).toBe(0);
      }
      expect(caller.received.bytesReceived).toBeGreaterThan(2000);
      expect(callee.received.bytesReceived).toBeGreaterThan(2000);
      expect(caller.packetsSent).toBeGreaterThan(40);
      // Loopback: nothing lost between the peers' sequence numbers.
      expect(caller.received.packetsLost).toBe(0);
      expect(callee.received.packetsLost).toBe(0);
      expect(sut.load().reduce((sum, worker) => sum + worker.routers, 0)).toBe(1);
      expect(sut.load().reduce((sum, worker) => sum + worker.transports, 0)).toBe(4);
    },
    TIMEOUT_MS,
  );

  it(
    'mute stops the muted side\'s audio only, and unmute brings it back',
    async () => {
      const { callId, caller, callee } = await connectedCall();

      await sut.setMuted(callId, 'CALLER', true);
      await sleep(300);
      const calleeHeard = callee.received.packetsReceived;
      const callerHeard = caller.received.packetsReceived;
      await sleep(1000);
      expect(callee.received.packetsReceived).toBe(calleeHeard);
      expect(caller.received.packetsReceived).toBeGreaterThan(callerHeard + 30);

      await sut.setMuted(callId, 'CALLER', false);
      await settled(() => expect(callee.received.packetsReceived).toBeGreaterThan(calleeHeard + 20));
    },
    TIMEOUT_MS,
  );

  it(
    'close() closes the router and transports, the peers see the server go, and it is idempotent',
    async () => {
      const { callId, caller, callee } = await connectedCall();

      await sut.close(callId);

      await settled(() => expect([caller.lostServer, callee.lostServer]).toEqual([true, true]), { timeoutMs: 20_000 });
      expect(await sut.stats(callId)).toEqual([]);
      expect(sut.load().map((worker) => [worker.routers, worker.transports])).toEqual([
        [0, 0],
        [0, 0],
      ]);
      const heard = callee.received.packetsReceived;
      await sleep(300);
      expect(callee.received.packetsReceived).toBe(heard);
      await expect(sut.close(callId)).resolves.toBeUndefined();
      await expect(sut.createTransport(callId, 'CALLER', 'SEND')).rejects.toMatchObject({ code: MediaErrorCode.MediaClosed });
      expect(failures).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'listens on VOICE_LISTEN_IP within the RTC port range, UDP preferred over TCP, and announces VOICE_ANNOUNCED_IP',
    async () => {
      const announcing = new CallMedia(pool, { ...settings, VOICE_ANNOUNCED_IP: '203.0.113.7', VOICE_RTC_MIN_PORT: 45100, VOICE_RTC_MAX_PORT: 45119 }, silentLogger);
      const callId = randomUUID();

      const transport = await announcing.createTransport(callId, 'CALLER');

      expect(transport.iceCandidates.map((candidate) => candidate.address)).toEqual(['203.0.113.7', '203.0.113.7']);
      for (const candidate of transport.iceCandidates) {
        expect(candidate.port).toBeGreaterThanOrEqual(45100);
        expect(candidate.port).toBeLessThanOrEqual(45119);
      }
      const [udp, tcp] = (['udp', 'tcp'] as const).map((protocol) => transport.iceCandidates.find((candidate) => candidate.protocol === protocol)!);
      expect(udp.priority).toBeGreaterThan(tcp.priority);
      await announcing.close(callId);
    },
    TIMEOUT_MS,
  );

  it(
    'refuses what a call cannot carry and says which field is wrong',
    async () => {
      const callId = randomUUID();
      const capabilities = await sut.routerRtpCapabilities(callId);
      await sut.createTransport(callId, 'CALLER');

      expect(await sut.consume(callId, 'CALLER', capabilities)).toBeNull();
      await expect(sut.produce(callId, 'CALLER', 'video' as 'audio', { codecs: [], encodings: [] })).rejects.toMatchObject({
        code: MediaErrorCode.UnsupportedKind,
        field: 'kind',
      });
      await expect(sut.resumeConsumer(callId, 'CALLER', randomUUID())).rejects.toMatchObject({ code: MediaErrorCode.ConsumerNotFound, field: 'consumerId' });
      await expect(sut.connectTransport(callId, 'CALLEE', { fingerprints: [] }, 'SEND')).rejects.toMatchObject({
        code: MediaErrorCode.TransportNotFound,
      });
      await expect(sut.setMuted(randomUUID(), 'CALLER', true)).rejects.toMatchObject({ code: MediaErrorCode.TransportNotFound });

      const caller = await NodeCallPeer.join(callMediaNegotiator(sut, callId, 'CALLER'));
      peers.push(caller);
      await sut.createTransport(callId, 'CALLEE', 'RECV');
      const withoutOpus = { codecs: capabilities.codecs!.filter((codec) => codec.mimeType.toLowerCase() !== 'audio/opus'), headerExtensions: [] };
      await expect(sut.consume(callId, 'CALLEE', withoutOpus)).rejects.toMatchObject({ code: MediaErrorCode.CannotConsume, field: 'rtpCapabilities' });
      await expect(sut.consume(callId, 'CALLEE', capabilities)).resolves.toMatchObject({ kind: 'audio', producerId: expect.any(String) });
    },
    TIMEOUT_MS,
  );

  it(
    'opens each call\'s router on the least-loaded worker',
    async () => {
      const callIds = Array.from({ length: 4 }, () => randomUUID());
      await sut.routerRtpCapabilities(callIds[0]);
      await sut.createTransport(callIds[0], 'CALLER', 'SEND');
      await sut.createTransport(callIds[0], 'CALLEE', 'SEND');
      await sut.routerRtpCapabilities(callIds[1]);
      expect(sut.workerPidOf(callIds[1])).not.toBe(sut.workerPidOf(callIds[0]));

      // Equal routers: the worker with fewer transports takes the next call.
      await sut.routerRtpCapabilities(callIds[2]);
      expect(sut.workerPidOf(callIds[2])).toBe(sut.workerPidOf(callIds[1]));
      await sut.routerRtpCapabilities(callIds[3]);
      expect(sut.workerPidOf(callIds[3])).toBe(sut.workerPidOf(callIds[0]));
      expect(sut.load().map((worker) => worker.routers)).toEqual([2, 2]);

      await sut.close(callIds[0]);
      expect(sut.load().find((worker) => worker.workerPid === sut.workerPidOf(callIds[3]))).toMatchObject({ routers: 1, transports: 0 });
    },
    TIMEOUT_MS,
  );

  it(
    'reports both participants failed when their worker dies, and replaces the worker',
    async () => {
      const { callId } = await connectedCall();
      const other = await connectedCall();
      const deadPid = sut.workerPidOf(callId)!;
      expect(sut.workerPidOf(other.callId)).not.toBe(deadPid);

      process.kill(deadPid, 'SIGKILL');

      await settled(() =>
        expect(failures.map(({ callId: id, participant, reason }) => ({ id, participant, reason })).sort((a, b) => a.participant.localeCompare(b.participant))).toEqual([
          { id: callId, participant: 'CALLEE', reason: 'WORKER_DIED' },
          { id: callId, participant: 'CALLER', reason: 'WORKER_DIED' },
        ]),
      );
      await settled(() => {
        const pids = sut.load().map((worker) => worker.workerPid);
        expect(pids).toHaveLength(2);
        expect(pids).not.toContain(deadPid);
      });
      // The call on the surviving worker keeps flowing; a new call can open.
      const heard = other.callee.received.packetsReceived;
      await settled(() => expect(other.callee.received.packetsReceived).toBeGreaterThan(heard + 10));
      await expect(sut.routerRtpCapabilities(randomUUID())).resolves.toHaveProperty('codecs');
    },
    TIMEOUT_MS,
  );

  it(
    'reports a participant whose transport never connects (media could not be established) after the connect timeout',
    async () => {
      const callId = randomUUID();
      const direct = callMediaNegotiator(sut, callId, 'CALLEE');
      // Candidates that point nowhere, as behind a firewall that lets neither UDP nor TCP through.
      const unreachable: MediaNegotiator = {
        ...direct,
        async joinMedia(direction) {
          const joined = await direct.joinMedia(direction);
          const iceCandidates = joined.transport.iceCandidates.map((candidate) => ({ ...candidate, port: 9 }));
          return { ...joined, transport: { ...joined.transport, iceCandidates } };
        },
      };
      const caller = await NodeCallPeer.join(callMediaNegotiator(sut, callId, 'CALLER'));
      const callee = await NodeCallPeer.join(unreachable);
      peers.push(caller, callee);
      const joinedAtMs = performance.now();

      await settled(() => expect(failures).toHaveLength(1), { timeoutMs: (CONNECT_TIMEOUT_SECONDS + 5) * 1000 });
      expect(failures[0]).toMatchObject({ callId, participant: 'CALLEE', reason: 'CONNECT_TIMEOUT' });
      expect(failures[0].atMs - joinedAtMs).toBeGreaterThan((CONNECT_TIMEOUT_SECONDS - 1) * 1000);
    },
    TIMEOUT_MS,
  );

  it(
    'reports a vanished participant failed once ICE stayed disconnected past the grace period, and only that one',
    async () => {
      const { callId, caller, callee } = await connectedCall();
      const vanishedAtMs = performance.now();

      await callee.vanish();

      await settled(() => expect(failures).toHaveLength(1), { timeoutMs: (CONSENT_TIMEOUT_SECONDS + GRACE_SECONDS + 8) * 1000 });
      expect(failures[0]).toMatchObject({ callId, participant: 'CALLEE', reason: 'ICE_DISCONNECTED' });
      const reportedAfterMs = failures[0].atMs - vanishedAtMs;
      expect(reportedAfterMs).toBeGreaterThanOrEqual((CONSENT_TIMEOUT_SECONDS - MAX_CONSENT_INTERVAL_SECONDS + GRACE_SECONDS) * 1000);
      expect(reportedAfterMs).toBeLessThan((CONSENT_TIMEOUT_SECONDS + GRACE_SECONDS + 2) * 1000);
      // The caller kept consent fresh well past the consent timeout: still connected, still sending.
      const sent = caller.packetsSent;
      await sleep(500);
      expect(caller.packetsSent).toBeGreaterThan(sent);
      expect((await sut.stats(callId)).find((entry) => entry.participant === 'CALLER')!.bytesReceived).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'as a Nest module: CallMedia is injectable and application shutdown ends the worker processes',
    async () => {
      @Global()
      @Module({
        providers: [
          { provide: VOICE_CONFIG, useValue: settings },
          { provide: LOGGER, useValue: silentLogger },
        ],
        exports: [VOICE_CONFIG, LOGGER],
      })
      class MediaTestInfrastructure {}
      @Module({ imports: [MediaTestInfrastructure, MediaModule] })
      class MediaTestApp {}
      const app = await NestFactory.createApplicationContext(MediaTestApp, { logger: false });
      const media = app.get(CallMedia);
      const callId = randomUUID();
      await media.routerRtpCapabilities(callId);
      const pids = media.load().map((worker) => worker.workerPid);
      expect(pids).toHaveLength(2);

      await app.close();

      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      await settled(() => expect(pids.filter(alive)).toEqual([]));
    },
    TIMEOUT_MS,
  );
});
