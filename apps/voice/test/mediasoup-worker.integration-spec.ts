/**
 * Integration test: the real mediasoup-worker binary (made available by
 * `npm run mediasoup:worker`, see tools/mediasoup/README.md) starts, routes
 * Opus and opens a WebRTC transport on loopback.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';

// Generous per-hook/test timeouts (passed explicitly rather than via the `jest`
// object, which is not a global when Jest runs the workspace as native ESM).
const TIMEOUT_MS = 30_000;

const OPUS: types.RouterRtpCodecCapability = {
  kind: 'audio',
  mimeType: 'audio/opus',
  clockRate: 48000,
  channels: 2,
};

describe('mediasoup worker (real binary)', () => {
  let worker: types.Worker;
  let router: types.Router;
  let transport: types.WebRtcTransport;

  beforeAll(async () => {
    try {
      worker = await mediasoup.createWorker({ logLevel: 'warn' });
    } catch (error) {
      throw new Error(
        `could not start mediasoup-worker (${mediasoup.workerBin}): ${(error as Error).message}\n` +
          'Make the worker available with: npm run mediasoup:worker',
      );
    }
  }, TIMEOUT_MS);

  afterAll(() => {
    // Idempotent: closing an already-closed object is a no-op.
    transport?.close();
    router?.close();
    worker?.close();
  });

  it('runs a worker process', async () => {
    expect(worker.closed).toBe(false);
    expect(worker.pid).toBeGreaterThan(0);
    const usage = await worker.getResourceUsage();
    expect(usage.ru_maxrss).toBeGreaterThan(0);
  }, TIMEOUT_MS);

  it('creates a router that can route Opus', async () => {
    router = await worker.createRouter({ mediaCodecs: [OPUS] });

    expect(router.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    const opus = router.rtpCapabilities.codecs?.find((codec) => codec.mimeType.toLowerCase() === 'audio/opus');
    expect(opus).toMatchObject({ kind: 'audio', clockRate: 48000, channels: 2 });
    expect(opus?.preferredPayloadType).toEqual(expect.any(Number));
  }, TIMEOUT_MS);

  it('creates a WebRtcTransport on 127.0.0.1 with ICE candidates and DTLS parameters', async () => {
    transport = await router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ip: '127.0.0.1' },
        { protocol: 'tcp', ip: '127.0.0.1' },
      ],
    });

    expect(transport.iceParameters.usernameFragment).toEqual(expect.any(String));
    expect(transport.iceParameters.password).toEqual(expect.any(String));
    expect(transport.iceCandidates.length).toBeGreaterThanOrEqual(2);
    for (const candidate of transport.iceCandidates) {
      expect(candidate.address).toBe('127.0.0.1');
      expect(candidate.port).toBeGreaterThan(0);
    }
    expect(transport.iceCandidates.map((candidate) => candidate.protocol).sort()).toEqual(['tcp', 'udp']);

    expect(transport.dtlsParameters.role).toBe('auto');
    const sha256 = transport.dtlsParameters.fingerprints.find((fingerprint) => fingerprint.algorithm === 'sha-256');
    expect(sha256?.value).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(transport.dtlsState).toBe('new');
    expect(transport.iceState).toBe('new');
  }, TIMEOUT_MS);

  it('closes transport, router and worker', () => {
    let died = false;
    worker.on('died', () => {
      died = true;
    });

    transport.close();
    router.close();
    worker.close();

    expect(transport.closed).toBe(true);
    expect(router.closed).toBe(true);
    expect(worker.closed).toBe(true);
    expect(died).toBe(false);
  });
});
