// Benchmark: how many concurrent two-party Opus calls ONE mediasoup worker carries. Calls (two
// Node WebRTC peers each, negotiating with CallMedia directly) are added step by step; at each
// step it measures packet loss (receivers' RTP sequence numbers), the worker's CPU (from
// /proc/<pid>/stat) and this process's CPU (the Node peers, plus mediasoup's idle Node side),
// and stops on loss > 1 %, a saturated worker, saturated peers or the cap. Baseline in the same
// run: the same werift peers exchanging the same RTP directly over loopback, without the SFU.
//
// The Node peers (pure-JS WebRTC: DTLS, SRTP, RTCP) run on the same cores as the worker, so they
// compete with it; the figures say which side ran out first.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createLogger } from '@boomerang/platform/observability';
import { CallMedia, type MediaSettings } from '../../apps/voice/src/media/call-media.service.js';
import { MediaWorkerPool, type MediaWorkerSettings } from '../../apps/voice/src/media/media-worker-pool.js';
import { callMediaNegotiator } from '../../apps/voice/test/support/media-negotiator.js';
import { NodeCallPeer } from '../../apps/voice/test/support/node-call-peer.js';
import { DirectRtpPair } from '../../apps/voice/test/support/direct-rtp-pair.js';
import { OPUS_FRAME_MS } from '../../apps/voice/test/support/opus-rtp-source.js';
import { processCpuSeconds } from './support.js';

const STEP = Number(process.env.BENCH_CALL_STEP ?? 10);
const MAX_CALLS = Number(process.env.BENCH_MAX_CALLS ?? 300);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 5);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 2);
/** As many direct pairs as calls in the second step, so the ratio compares equal counts. */
const BASELINE_PAIRS = Number(process.env.BENCH_BASELINE_PAIRS ?? STEP);
/** Other processes share the cores: a failing step is measured again this many times before it counts. */
const RETRIES = Number(process.env.BENCH_RETRIES ?? 2);
const MAX_LOSS = 0.01;
/** A worker is one thread; above this share of a core it is saturated. */
const WORKER_SATURATED = 0.9;
/** The peers' process is one JS thread: above this share of a core it cannot keep up. */
const PEERS_SATURATED = 0.9;
/** Event-loop lag (p99) of the peers beyond which their packets go out in bursts (peers saturated or starved by other processes). */
const PEERS_SATURATED_LAG_MS = 200;
/** Share of the 50 packets/s per peer the peers must actually send. */
const PEERS_MIN_SEND_RATE = 0.97;

/** Busy share of the whole machine (all cores) from /proc/stat. */
function machineCpuTicks(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const ticks = values.map(Number);
  const idle = ticks[3] + (ticks[4] ?? 0);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

interface Counters {
  sent: number;
  received: number;
  expected: number;
}

interface Window {
  lossRatio: number;
  sendRate: number;
  peersCpu: number;
  workerCpu?: number;
  machineBusy: number;
  lagP99Ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Measures one window over whatever is running: counters come from the callback, CPU from /proc. */
async function measure(counters: () => Counters, streams: number, workerPid?: number): Promise<Window> {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const before = counters();
  const beforeSelf = processCpuSeconds(process.pid);
  const beforeWorker = workerPid ? processCpuSeconds(workerPid) : 0;
  const beforeMachine = machineCpuTicks();
  const startedAt = performance.now();
  lag.enable();
  await sleep(WINDOW_S * 1000);
  lag.disable();
  const seconds = (performance.now() - startedAt) / 1000;
  const after = counters();
  const afterMachine = machineCpuTicks();
  const expected = after.expected - before.expected;
  const received = after.received - before.received;
  return {
    lossRatio: expected > 0 ? Math.max(0, 1 - received / expected) : 1,
    sendRate: (after.sent - before.sent) / (streams * seconds * (1000 / OPUS_FRAME_MS)),
    peersCpu: (processCpuSeconds(process.pid) - beforeSelf) / seconds,
    workerCpu: workerPid ? (processCpuSeconds(workerPid) - beforeWorker) / seconds : undefined,
    machineBusy: (afterMachine.busy - beforeMachine.busy) / (afterMachine.total - beforeMachine.total),
    lagP99Ms: lag.percentile(99) / 1e6,
  };
}

const pct = (value: number, digits = 1) => `${(value * 100).toFixed(digits)}%`;

async function baseline(): Promise<Window & { pairs: number }> {
  const pairs: DirectRtpPair[] = [];
  for (let index = 0; index < BASELINE_PAIRS; index += 1) pairs.push(await DirectRtpPair.connect());
  await sleep(SETTLE_S * 1000);
  const sides = pairs.flatMap((pair) => pair.sides);
  const result = await measure(
    () => ({
      sent: sides.reduce((sum, side) => sum + side.source.packetsSent, 0),
      received: sides.reduce((sum, side) => sum + side.received.packetsReceived, 0),
      expected: sides.reduce((sum, side) => sum + side.received.packetsExpected, 0),
    }),
    sides.length,
  );
  await Promise.all(pairs.map((pair) => pair.close()));
  return { ...result, pairs: pairs.length };
}

interface Step extends Window {
  calls: number;
}

/** Why a step does not count as sustained, or undefined when it does. */
function passes(step: Step): string | undefined {
  if (step.lossRatio > MAX_LOSS) return `packet loss ${pct(step.lossRatio, 2)} > ${pct(MAX_LOSS, 0)}`;
  if ((step.workerCpu ?? 0) > WORKER_SATURATED) return `worker saturated (${pct(step.workerCpu ?? 0)} of a core)`;
  if (step.peersCpu > PEERS_SATURATED || step.lagP99Ms > PEERS_SATURATED_LAG_MS || step.sendRate < PEERS_MIN_SEND_RATE) {
    return (
      `Node peers saturated (${pct(step.peersCpu)} of a core, event-loop lag p99 ${step.lagP99Ms.toFixed(0)} ms, ` +
      `sending ${pct(step.sendRate)} of their packets)`
    );
  }
  return undefined;
}

/** Least-squares slope of y over x (per-call cost); y/x for a single point. */
function slope(points: [number, number][]): number {
  if (points.length === 1) return points[0][1] / points[0][0];
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return covariance / variance;
}

async function main(): Promise<void> {
  const logger = createLogger('call-capacity', 'silent');
  const settings: MediaSettings & MediaWorkerSettings = {
    VOICE_MEDIA_WORKERS: 1,
    VOICE_MEDIA_LOG_LEVEL: 'error',
    VOICE_RTC_MIN_PORT: 40000,
    VOICE_RTC_MAX_PORT: 49999,
    VOICE_LISTEN_IP: '127.0.0.1',
    VOICE_ANNOUNCED_IP: undefined,
    VOICE_ICE_CONSENT_TIMEOUT_SECONDS: 30,
    VOICE_MEDIA_DISCONNECT_GRACE_SECONDS: 10,
    VOICE_MEDIA_CONNECT_TIMEOUT_SECONDS: 20,
  };
  console.log(
    `call capacity on ONE mediasoup worker: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ` +
      `step ${STEP} calls, window ${WINDOW_S} s, stop at loss > ${pct(MAX_LOSS, 0)}, worker > ${pct(WORKER_SATURATED, 0)} of a core, ` +
      `peers > ${pct(PEERS_SATURATED, 0)} of a core, lagging > ${PEERS_SATURATED_LAG_MS} ms or sending < ${pct(PEERS_MIN_SEND_RATE, 0)} of their packets, ` +
      `or ${MAX_CALLS} calls (a failing step is measured up to ${RETRIES} more times); "machine" is all cores busy, other processes included`,
  );

  const base = await baseline();
  console.log(
    `baseline (no SFU): ${base.pairs} direct werift pairs over loopback: loss ${pct(base.lossRatio, 2)}, ` +
      `peers CPU ${pct(base.peersCpu)} of a core = ${pct(base.peersCpu / base.pairs, 2)} per pair`,
  );

  const pool = new MediaWorkerPool(settings, logger);
  const media = new CallMedia(pool, settings, logger);
  const failures: string[] = [];
  media.onParticipantFailed((callId, participant, reason) => failures.push(`${callId}/${participant}: ${reason}`));
  await pool.start();
  const workerPid = pool.workers()[0].pid;
  const peers: NodeCallPeer[] = [];
  const steps: Step[] = [];
  let stopReason = `reached the cap of ${MAX_CALLS} calls`;

  console.log('\ncalls  loss     send-rate  worker-CPU  per-call  peers-CPU  per-call  machine  lag-p99');
  for (let calls = 0; calls < MAX_CALLS; ) {
    const target = calls === 0 ? 1 : Math.min(MAX_CALLS, calls === 1 ? STEP : calls + STEP);
    for (; calls < target; calls += 1) {
      const callId = randomUUID();
      const caller = await NodeCallPeer.join(callMediaNegotiator(media, callId, 'CALLER'));
      const callee = await NodeCallPeer.join(callMediaNegotiator(media, callId, 'CALLEE'));
      if (!(await caller.consumeRemote()) || !(await callee.consumeRemote())) throw new Error(`call ${callId}: nothing to consume`);
      peers.push(caller, callee);
    }
    let step: Step | undefined;
    for (let attempt = 0; attempt <= RETRIES && (!step || passes(step)); attempt += 1) {
      if (step) console.log(`${String(calls).padStart(5)}  ${passes(step)}; measuring again`);
      await sleep(SETTLE_S * 1000);
      const window = await measure(
        () => ({
          sent: peers.reduce((sum, peer) => sum + peer.packetsSent, 0),
          received: peers.reduce((sum, peer) => sum + peer.received.packetsReceived, 0),
          expected: peers.reduce((sum, peer) => sum + peer.received.packetsExpected, 0),
        }),
        peers.length,
        workerPid,
      );
      step = { calls, ...window };
      console.log(
        [
          String(calls).padStart(5),
          pct(step.lossRatio, 2).padStart(7),
          pct(step.sendRate).padStart(10),
          pct(step.workerCpu ?? 0).padStart(11),
          pct((step.workerCpu ?? 0) / calls, 2).padStart(9),
          pct(step.peersCpu).padStart(10),
          pct(step.peersCpu / calls, 2).padStart(9),
          pct(step.machineBusy).padStart(8),
          `${step.lagP99Ms.toFixed(0)} ms`.padStart(8),
        ].join('  '),
      );
    }
    if (!step) throw new Error('no measurement');
    steps.push(step);
    const failed = failures.length > 0 ? `participants failed: ${failures.slice(0, 3).join(', ')}` : passes(step);
    if (failed) {
      stopReason = failed;
      break;
    }
  }

  const passed = steps.filter((step) => passes(step) === undefined);
  const sustained = passed[passed.length - 1];
  console.log(`\nstopped: ${stopReason}`);
  console.log(`calls sustained (every criterion met): ${sustained?.calls ?? 0}`);
  if (sustained) {
    // The slope over the passing steps leaves out what one call alone carries (timers, RTCP of an idle process).
    const workerPerCall = slope(passed.map((step) => [step.calls, step.workerCpu ?? 0]));
    const peersPerCall = slope(passed.map((step) => [step.calls, step.peersCpu]));
    console.log(
      `CPU per call (slope over ${passed.length} passing steps): worker ${pct(workerPerCall, 2)} of a core, Node peers ${pct(peersPerCall, 2)}; ` +
        `at ${sustained.calls} calls: worker ${pct(sustained.workerCpu ?? 0)}, peers ${pct(sustained.peersCpu)}`,
    );
    console.log(
      `worker capacity by extrapolation (not measured; ${pct(WORKER_SATURATED, 0)} of a core / worker CPU per call): ~${Math.floor(WORKER_SATURATED / workerPerCall)} calls`,
    );
  }
  const same = steps.find((step) => step.calls === base.pairs);
  if (same) {
    console.log(
      `ratio vs baseline at ${base.pairs} calls / ${base.pairs} direct pairs: Node peers CPU ${(same.peersCpu / base.peersCpu).toFixed(2)}x, ` +
        `peers + SFU worker ${((same.peersCpu + (same.workerCpu ?? 0)) / base.peersCpu).toFixed(2)}x ` +
        `(${pct(same.peersCpu)} + ${pct(same.workerCpu ?? 0)} vs ${pct(base.peersCpu)} of a core; loss ${pct(same.lossRatio, 2)} vs ${pct(base.lossRatio, 2)})`,
    );
  }

  for (const peer of peers) peer.close();
  media.onApplicationShutdown();
  pool.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
