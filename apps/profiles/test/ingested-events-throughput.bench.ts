// Throughput of the profiles EventsIngested consumer alone: N events (in messages of
// EVENTS_PER_MESSAGE, as events publishes them) are put on the events stream before the profiles
// app starts, then the app drains them. Throughput is N over the span of the inbox rows'
// processed_at (transaction start times), so app boot does not count.
// Run: node tools/build/build.mjs && node dist/apps/profiles/test/ingested-events-throughput.bench.js
// (BENCH_EVENTS, BENCH_EVENTS_PER_MESSAGE, BENCH_USERS, BENCH_IDENTIFY_EVERY tune the mix.)
import { randomUUID } from 'node:crypto';
import { EventsIngested } from '@boomerang/contracts';
import { applyOwnedStream, connectMessaging } from '@boomerang/platform/messaging';
import { startTestSubgraph, TEST_NATS_URL, uniqueSubjectPrefix } from '@boomerang/platform/testing';
import { INGESTED_EVENTS_DURABLE } from '../src/ingestion/ingested-events.consumer.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20000);
const EVENTS_PER_MESSAGE = Number(process.env.BENCH_EVENTS_PER_MESSAGE ?? 100);
const MESSAGES = Math.ceil(EVENTS / EVENTS_PER_MESSAGE);
const USERS = Number(process.env.BENCH_USERS ?? 500);
const IDENTIFY_EVERY = Number(process.env.BENCH_IDENTIFY_EVERY ?? 10);

const prefix = uniqueSubjectPrefix();
const projectId = randomUUID();
const publisher = await connectMessaging({ url: TEST_NATS_URL, name: 'profiles-consumer-bench', prefix });
await applyOwnedStream(publisher.jsm, publisher.subjects, 'events');

/** Like the ingest benchmark: a user id from a small set and a fresh anonymous id per event; every Nth an identify with traits. */
function event(n: number) {
  const identify = n % IDENTIFY_EVERY === 0;
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    messageId: `bench-${n}`,
    profileId: null,
    name: identify ? 'identify' : 'Product Viewed',
    timestamp: now,
    properties: { product_id: `SKU-${n % 997}`, price: 24.99 },
    type: identify ? ('identify' as const) : ('track' as const),
    userId: `user-${n % USERS}`,
    anonymousId: randomUUID(),
    ...(identify ? { traits: { plan: n % 3 === 0 ? 'pro' : 'free', visits: { $incr: 1 }, tags: { $add: [`t${n % 5}`] } } } : {}),
  };
}

const subject = publisher.subjects.subject(EventsIngested, projectId);
const message = (m: number) => ({
  projectId,
  occurredAt: new Date().toISOString(),
  events: Array.from({ length: Math.min(EVENTS_PER_MESSAGE, EVENTS - m * EVENTS_PER_MESSAGE) }, (_, i) => event(m * EVENTS_PER_MESSAGE + i)),
});
for (let m = 0; m < MESSAGES; m += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, MESSAGES - m) }, (_, i) => publisher.js.publish(subject, JSON.stringify(message(m + i)), { msgID: `bench-${m + i}` })),
  );
}

const sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'profiles', prefix });
try {
  const stream = publisher.subjects.streamName('events');
  const deadline = Date.now() + 600_000;
  for (;;) {
    const info = await publisher.jsm.consumers.info(stream, INGESTED_EVENTS_DURABLE).catch(() => undefined);
    if (info && info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq >= MESSAGES) break;
    if (Date.now() > deadline) throw new Error('the consumer did not drain in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const [span] = (await sut.app
    .get((await import('typeorm')).DataSource)
    .query(
      `SELECT count(*)::int AS handled, extract(epoch FROM max(processed_at) - min(processed_at))::float8 AS seconds FROM "${sut.schema}".inbox WHERE consumer = $1`,
      [INGESTED_EVENTS_DURABLE],
    )) as { handled: number; seconds: number }[];
  const [{ profiles, visits }] = (await sut.app
    .get((await import('typeorm')).DataSource)
    .query(`SELECT count(*)::int AS profiles, sum((properties->>'visits')::int)::int AS visits FROM "${sut.schema}".profile WHERE merged_into IS NULL`)) as {
    profiles: number;
    visits: number;
  }[];
  console.log(
    JSON.stringify({
      events: EVENTS,
      messages: MESSAGES,
      users: USERS,
      identifyEvery: IDENTIFY_EVERY,
      handledMessages: span!.handled,
      seconds: Number(span!.seconds.toFixed(2)),
      eventsPerSecond: Math.round((span!.handled * EVENTS_PER_MESSAGE) / span!.seconds),
      profiles,
      visits,
    }),
  );
} finally {
  await sut.close();
  await publisher.nc.drain();
}
