// Benchmark: live segment entry. With a background load of BENCH_RATE events/s (default 2,000)
// through the Segment-compatible `/v1/batch`, how long from a probe event's ingest 2xx to the
// `segments.<project>.membership-changed` message (entered) on JetStream, for a segment with a
// 3-leaf rule: a behaviour in a window (Added To Cart in the last hour), a property aggregate
// (sum of Added To Cart.price over 30 days ≥ 50) and a profile property (plan = pro).
// Goal: p95 ≤ 0.5 s, p99 ≤ 1 s. The baseline, measured in the same run under the same load, is
// the ingest round trip itself (request sent → 2xx) of the same probe requests: the ratio says
// how much longer entering a segment takes than being accepted.
// The whole platform runs from dist/ (startTestPlatform, its own database and NATS prefix).
// Knobs: BENCH_RATE (background events/s), BENCH_PROBES (default 200), BENCH_PROBE_INTERVAL_MS (default 150).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { connectMessaging } from '@boomerang/platform/messaging';
import { eventually, TEST_NATS_URL } from '@boomerang/platform/testing';
import { bearer, startTestPlatform } from '../dev/test-platform.js';

const RATE = Number(process.env.BENCH_RATE ?? 2000);
const PROBES = Number(process.env.BENCH_PROBES ?? 200);
const PROBE_INTERVAL_MS = Number(process.env.BENCH_PROBE_INTERVAL_MS ?? 150);
const BATCH = 100;
const BACKGROUND_USERS = 5000;

type Change = MessageOf<typeof SegmentMembershipChanged>;

async function main(): Promise<void> {
  const platform = await startTestPlatform();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  try {
    const created = await platform.graphql<{ createProject: { secretKey: { key: string }; project: { id: string } } }>(
      `mutation { createProject(input: { name: "Live segments bench" }) { project { id } secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    const key = created.data!.createProject.secretKey.key;
    const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const ingestUrl = new URL(`${platform.ingestUrl}/v1/batch`);
    const post = (batch: unknown[]) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ batch });
        const request = http.request(
          ingestUrl,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: auth, 'content-length': Buffer.byteLength(body) } },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        request.end(body);
      });

    // Probe users on the pro plan, and the background crowd.
    const runId = randomUUID().slice(0, 8);
    const probes = Array.from({ length: PROBES }, (_, i) => `probe-${runId}-${i}`);
    for (let i = 0; i < probes.length; i += BATCH)
      await post(probes.slice(i, i + BATCH).map((userId) => ({ type: 'identify', userId, traits: { plan: 'pro' } })));
    const crowd = Array.from({ length: BACKGROUND_USERS }, (_, i) => `crowd-${runId}-${i}`);
    const ids = new Map<string, string>();
    await eventually(
      async () => {
        for (const userId of probes.filter((p) => !ids.has(p)).slice(0, 50)) {
          const answer = await platform.graphql<{ profileByIdentity: { id: string } | null }>(
            `query($v: String!) { profileByIdentity(kind: USER_ID, value: $v) { id } }`,
            { v: userId },
            bearer(key),
          );
          if (answer.data?.profileByIdentity) ids.set(userId, answer.data.profileByIdentity.id);
        }
        return ids.size === probes.length || undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const byProfile = new Map([...ids].map(([userId, profileId]) => [profileId, userId]));

    const rules = {
      and: [
        { event: { name: 'Added To Cart', within: { hours: 1 } } },
        { event: { name: 'Added To Cart', within: { days: 30 }, aggregate: { fn: 'SUM', property: 'price', op: 'GTE', value: 50 } } },
        { profile: { property: 'plan', op: 'EQ', value: 'pro' } },
      ],
    };
    const segment = await platform.graphql<{ createSegment: { id: string; status: string } }>(
      `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id status } }`,
      { input: { name: 'Carted pros', kind: 'DYNAMIC', rules } },
      bearer(key),
    );
    if (segment.data?.createSegment.status !== 'READY') throw new Error(`createSegment: ${JSON.stringify(segment)}`);
    const segmentId = segment.data.createSegment.id;

    const messaging = await connectMessaging({ url: TEST_NATS_URL, name: 'segments-live-bench', prefix: platform.subjectPrefix });
    const entered = new Map<string, number>();
    const subscription = messaging.nc.subscribe(messaging.subjects.filter(SegmentMembershipChanged));
    void (async () => {
      for await (const message of subscription) {
        const change = message.json<Change>();
        const userId = byProfile.get(change.profileId);
        if (change.segmentId === segmentId && change.change === 'entered' && userId) entered.set(userId, performance.now());
      }
    })();

    // Background load: BATCH events per request, RATE events/s, for as long as the probes run.
    let running = true;
    let sent = 0;
    const names = ['Page Viewed', 'Product Viewed', 'Searched', 'App Opened', 'Added To Wishlist'];
    const background = (async () => {
      const started = performance.now();
      const inFlight = new Set<Promise<unknown>>();
      while (running) {
        const due = Math.floor(((performance.now() - started) / 1000) * RATE);
        while (sent + BATCH <= due) {
          const batch = Array.from({ length: BATCH }, (_, i) => ({
            type: 'track',
            userId: crowd[(sent + i) % crowd.length],
            event: names[(sent + i) % names.length],
            properties: { price: (sent + i) % 40, category: 'shoes' },
          }));
          sent += BATCH;
          const request = post(batch).finally(() => inFlight.delete(request));
          inFlight.add(request);
        }
        await sleep(10);
      }
      await Promise.all(inFlight);
      return sent / ((performance.now() - started) / 1000);
    })();
    await sleep(3000);

    const roundTrips: number[] = [];
    const acceptedAt = new Map<string, number>();
    for (const userId of probes) {
      const start = performance.now();
      void post([{ type: 'track', userId, event: 'Added To Cart', properties: { price: 60, sku: 'boots' } }]).then((status) => {
        if (status !== 200) throw new Error(`probe ingest answered ${status}`);
        const at = performance.now();
        acceptedAt.set(userId, at);
        roundTrips.push(at - start);
      });
      await sleep(PROBE_INTERVAL_MS);
    }
    await eventually(() => entered.size >= probes.length || undefined, { timeoutMs: 60_000, intervalMs: 100 }).catch(() => undefined);
    running = false;
    const achievedRate = await background;
    subscription.unsubscribe();
    await messaging.nc.close();

    const latencies = probes.filter((p) => entered.has(p) && acceptedAt.has(p)).map((p) => entered.get(p)! - acceptedAt.get(p)!);
    const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]! / 1000;
    console.log('');
    console.log(`live segment entry under ${Math.round(achievedRate).toLocaleString('en')} background events/s (${PROBES} probes, 3-leaf rule)`);
    console.log(`  entered: ${latencies.length}/${PROBES}`);
    console.log(`  ingest 2xx → membership-changed: p50 ${pct(latencies, 50).toFixed(3)} s, p95 ${pct(latencies, 95).toFixed(3)} s, p99 ${pct(latencies, 99).toFixed(3)} s (goal p95 ≤ 0.5 s, p99 ≤ 1 s)`);
    console.log(`  baseline, the probe's ingest round trip: p50 ${pct(roundTrips, 50).toFixed(3)} s, p95 ${pct(roundTrips, 95).toFixed(3)} s`);
    console.log(`  ratio (p95 entry / p95 ingest round trip): ${(pct(latencies, 95) / pct(roundTrips, 95)).toFixed(2)}×`);
  } finally {
    agent.destroy();
    await platform.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
