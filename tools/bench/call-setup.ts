// Benchmark: call setup time, from placeCall to Opus flowing both ways, with two Node WebRTC
// peers through the running platform (gateway-minted tokens, signalling WebSocket, mediasoup),
// one call after another. Baselines from the same run: the media-only setup (the same two peers
// negotiating with CallMedia in this process: no signalling, no database, no answer) and one
// signalling WebSocket round trip. Prints p50/p95 of each and the ratio.
//   npm run bench:calls:setup            (BENCH_CALLS=20 by default)
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@boomerang/platform/config';
import { createLogger } from '@boomerang/platform/observability';
import { CallMedia } from '../../apps/voice/src/media/call-media.service.js';
import { MediaWorkerPool } from '../../apps/voice/src/media/media-worker-pool.js';
import { voiceEnv } from '../../apps/voice/src/voice-config.js';
import { callMediaNegotiator } from '../../apps/voice/test/support/media-negotiator.js';
import { NodeCallPeer } from '../../apps/voice/test/support/node-call-peer.js';
import { bearer, startTestPlatform } from '../dev/test-platform.js';
import { CallClient } from '../voice/call-client.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 20);
const WARM_UP = 2;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const summary = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95) });
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** Resolves once both peers have received RTP from each other. */
async function audioBothWays(a: NodeCallPeer, b: NodeCallPeer, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (a.received.packetsReceived === 0 || b.received.packetsReceived === 0) {
    if (performance.now() > deadline) throw new Error('audio did not flow both ways in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const platform = await startTestPlatform({ VOICE_MEDIA_WORKERS: '1', LOG_LEVEL: 'warn' });
const phases = { placeToRinging: [] as number[], setup: [] as number[] };
const mediaOnly: number[] = [];
const roundTrips: number[] = [];
try {
  const created = await platform.graphql<{ createProject: { secretKey: { key: string } } }>(
    `mutation { createProject(input: { name: "Bench calls" }) { secretKey { key } } }`,
    {},
    bearer(platform.adminToken),
  );
  const asProject = bearer(created.data!.createProject.secretKey.key);
  const profile = async (name: string) =>
    (
      await platform.graphql<{ createProfile: { id: string } }>(
        `mutation($name: String!) { createProfile(input: { externalId: $name }) { id } }`,
        { name: `${name}-${randomUUID()}` },
        asProject,
      )
    ).data!.createProfile.id;
  const token = async (profileId: string) =>
    (
      await platform.graphql<{ createCallToken: { token: string; signallingUrl: string } }>(
        `mutation($id: ID!) { createCallToken(profileId: $id, ttlSeconds: 3600) { token signallingUrl } }`,
        { id: profileId },
        asProject,
      )
    ).data!.createCallToken;
  const callerId = await profile('caller');
  const calleeId = await profile('callee');
  const callerToken = await token(callerId);
  const calleeToken = await token(calleeId);
  const caller = await CallClient.connect(callerToken.signallingUrl, callerToken.token);
  const callee = await CallClient.connect(calleeToken.signallingUrl, calleeToken.token);

  for (let i = 0; i < CALLS + WARM_UP; i++) {
    const started = performance.now();
    const placed = await caller.placeCall({ calleeProfileId: calleeId, reason: 'Benchmark call' });
    // The callee answers as soon as it rings, while the caller prepares its media.
    const [callerPeer, calleePeer] = await Promise.all([
      caller.joinMedia(placed.id),
      callee.waitForState(placed.id, 'RINGING').then(async () => {
        if (i >= WARM_UP) phases.placeToRinging.push(performance.now() - started);
        await callee.answer(placed.id);
        return callee.joinMedia(placed.id);
      }),
    ]);
    await audioBothWays(callerPeer, calleePeer);
    if (i >= WARM_UP) phases.setup.push(performance.now() - started);
    await caller.hangUp(placed.id);
    await callee.waitForState(placed.id, 'ENDED');
  }

  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    await caller.activeCall();
    roundTrips.push(performance.now() - started);
  }
  await caller.close();
  await callee.close();

  // Media only: the same peers against CallMedia in this process.
  const logger = createLogger('bench', 'warn');
  const settings = loadConfig(voiceEnv, { ...process.env, VOICE_MEDIA_WORKERS: '1' });
  const pool = new MediaWorkerPool(settings, logger);
  await pool.start();
  const media = new CallMedia(pool, settings, logger);
  for (let i = 0; i < CALLS + WARM_UP; i++) {
    const callId = randomUUID();
    const started = performance.now();
    const [a, b] = await Promise.all([
      NodeCallPeer.join(callMediaNegotiator(media, callId, 'CALLER')),
      NodeCallPeer.join(callMediaNegotiator(media, callId, 'CALLEE')),
    ]);
    const consumeBoth = async () => {
      while (!a.consumer && !(await a.consumeRemote())) await new Promise((resolve) => setTimeout(resolve, 2));
      while (!b.consumer && !(await b.consumeRemote())) await new Promise((resolve) => setTimeout(resolve, 2));
    };
    await consumeBoth();
    await audioBothWays(a, b);
    if (i >= WARM_UP) mediaOnly.push(performance.now() - started);
    a.close();
    b.close();
    await media.close(callId);
  }
  media.onApplicationShutdown();
  pool.close();
} finally {
  await platform.stop();
}

const setup = summary(phases.setup);
const baseline = summary(mediaOnly);
const ringing = summary(phases.placeToRinging);
const roundTrip = summary(roundTrips);
console.log(`
Call setup (placeCall → Opus both ways), ${CALLS} calls through the platform, Node peers, one at a time:
  full call setup            p50 ${ms(setup.p50)}   p95 ${ms(setup.p95)}
    of which place → ringing  p50 ${ms(ringing.p50)}   p95 ${ms(ringing.p95)}
Baselines from the same run:
  media only (CallMedia in-process, same peers)   p50 ${ms(baseline.p50)}   p95 ${ms(baseline.p95)}
  signalling round trip (activeCall, 200×)        p50 ${ms(roundTrip.p50)}   p95 ${ms(roundTrip.p95)}
Ratio full / media only: p50 ${(setup.p50 / baseline.p50).toFixed(2)}×, p95 ${(setup.p95 / baseline.p95).toFixed(2)}×
`);
process.exit(0);
