import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { CallPlaced, EventsIngested, type MessageOf } from '@boomerang/contracts';
import {
  applyOwnedStream,
  connectMessaging,
  DurableConsumer,
  MessagingTables1763900000000,
  MSG_ID_HEADER,
  OutboxBatches1763900009000,
  OutboxRelay,
  OutboxWriter,
  type Messaging,
} from '@boomerang/platform/messaging';
import {
  createIsolatedSchema,
  eventually,
  serveTestIngestPolicies,
  serveTestKeys,
  silentLogger,
  startNatsCluster,
  startTestSubgraph,
  type IsolatedSchema,
  type NatsClusterNode,
  type NatsClusterProcess,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { freePort } from '../../../tools/dev/test-platform.js';

const BATCHES = 500;
const EVENTS_PER_BATCH = 100;
const EVENTS = BATCHES * EVENTS_PER_BATCH;
/** Send commands committed to the outbox alongside each acknowledged ingest batch. */
const SENDS_PER_BATCH = 10;
const SENDS = BATCHES * SENDS_PER_BATCH;
const CONCURRENCY = 6;
const ACK_WAIT_MS = 5_000;
const SETTLE_TIMEOUT_MS = 90_000;

/**
 * What a stream holds, message by message: its Nats-Msg-Id and body. Read through an ordered
 * consumer, which nats-server 2.9 may place on a replica that has not answered yet: retried.
 */
const readStream = (messaging: Messaging, stream: string) => eventually(() => readStreamOnce(messaging, stream), { timeoutMs: 60_000, intervalMs: 100 });

async function readStreamOnce(messaging: Messaging, stream: string): Promise<{ msgId: string; body: string }[]> {
  const { state } = await messaging.jsm.streams.info(stream);
  const messages: { msgId: string; body: string }[] = [];
  if (state.messages === 0) return messages;
  const consumer = await messaging.js.consumers.get(stream);
  for await (const message of await consumer.consume({ max_messages: 1_000 })) {
    messages.push({ msgId: message.headers?.get(MSG_ID_HEADER) ?? '', body: message.string() });
    if (message.seq >= state.last_seq) break;
  }
  return messages;
}

/** Names that occur more than once, with their counts. */
const repeated = (names: readonly string[]): [string, number][] => {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].filter(([, count]) => count > 1);
};

/** Asks the stream's leader to step down until `node` leads it (the replicas elect one at random). */
async function leadStreamFrom(messaging: Messaging, stream: string, node: string): Promise<void> {
  await eventually(
    async () => {
      const leader = (await messaging.jsm.streams.info(stream)).cluster?.leader;
      if (leader === node) return true;
      if (leader) await messaging.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 });
      return false;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** A connection of its own that landed on `node` (the client picks a listed server at random). */
async function connectThrough(url: string, prefix: string, node: string): Promise<Messaging> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const messaging = await connectMessaging({ url, name: 'node-loss-consumers', prefix, streamReplicas: 3 });
    if (messaging.nc.info?.server_name === node) return messaging;
    await messaging.nc.close();
  }
  throw new Error(`no connection landed on ${node}`);
}

/**
 * The platform on a three-node JetStream cluster with every stream at three replicas: while the
 * events ingestion API takes 50,000 events and a service's outbox relays 5,000 send commands,
 * the node leading both streams (and holding the consumers' connection) is killed. Nothing
 * acknowledged is lost or stored twice, the durable consumers go on through the other two nodes
 * and handle every message once, and the node rejoins and catches up once restarted.
 */
describe('NATS cluster: a node lost during ingest and sends', () => {
  const projectId = randomUUID();
  const writeKey = `pk_${randomUUID()}`;
  let cluster: NatsClusterProcess;
  let sut: TestSubgraph;
  let ingestUrl: string;
  let bed: IsolatedSchema;
  let consumers: Messaging | undefined;
  let sender: Messaging | undefined;
  let relay: OutboxRelay | undefined;
  const running: { start(): Promise<void>; stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    cluster = await startNatsCluster();
    const ingestPort = await freePort();
    sut = await startTestSubgraph(
      () => {
        // Set after startTestSubgraph's own settings (its NATS_URL is the single test server), before the app reads them.
        Object.assign(process.env, { NATS_URL: cluster.url, NATS_STREAM_REPLICAS: '3', INGEST_PORT: String(ingestPort) });
        return import('../src/app.module.js').then((m) => m.AppModule);
      },
      { service: 'events' },
    );
    ingestUrl = `http://127.0.0.1:${ingestPort}/v1/batch`;
    serveTestKeys(sut.messaging).set(writeKey, { ok: true, projectId, keyId: randomUUID(), scope: 'publishable' });
    serveTestIngestPolicies(sut.messaging);
    bed = await createIsolatedSchema('node_loss', { entities: [], migrations: [MessagingTables1763900000000, OutboxBatches1763900009000] });
    await bed.dataSource.query(`CREATE TABLE "${bed.schema}".handled (consumer text NOT NULL, id text NOT NULL)`);
  }, 120_000);

  afterAll(async () => {
    // A node still down (a failed run) would hold up every clean-up below it.
    await Promise.all(cluster?.nodes.filter((node) => !node.running).map((node) => node.restart()) ?? []);
    for (const consumer of running) await consumer.stop();
    await relay?.stop();
    await sut?.close();
    await consumers?.nc.close();
    await sender?.nc.close();
    await bed?.drop();
    await cluster?.cleanup();
    for (const name of ['NATS_URL', 'NATS_STREAM_REPLICAS', 'INGEST_PORT']) delete process.env[name];
  }, 120_000);

  /** How many times each consumer's handler committed, and for how many distinct ids. */
  const handled = async (consumer: string): Promise<{ runs: number; ids: number }> => {
    const [row] = (await bed.dataSource.query(`SELECT count(*)::int AS runs, count(DISTINCT id)::int AS ids FROM "${bed.schema}".handled WHERE consumer = $1`, [
      consumer,
    ])) as { runs: number; ids: number }[];
    return row!;
  };

  /** What each handler does: one row per message id it ran for, in the consumer's transaction. */
  const recordHandled = async (consumer: string, ids: readonly string[], manager: EntityManager): Promise<void> => {
    await manager.query(`INSERT INTO "${bed.schema}".handled (consumer, id) SELECT $1, unnest($2::text[])`, [consumer, ids]);
  };

  const ingestBatch = (n: number) =>
    JSON.stringify({
      batch: Array.from({ length: EVENTS_PER_BATCH }, (_, i) => ({
        type: 'track',
        event: 'Item Viewed',
        userId: `user-${n % 50}`,
        messageId: `node-loss-${n}-${i}`,
        properties: { sku: `SKU-${n}-${i}`, price: i },
      })),
      sentAt: new Date().toISOString(),
    });

  /** Sends batch `n` until the ingestion API acknowledges it (a lost answer is retried, as an SDK does). */
  const ingest = async (n: number): Promise<void> => {
    for (;;) {
      const acknowledged = await fetch(ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        body: ingestBatch(n),
      }).then(
        (response) => response.ok,
        () => false,
      );
      if (acknowledged) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('loses and duplicates nothing acknowledged, keeps consuming on two nodes, and the killed node rejoins', async () => {
    const { subjects } = sut.messaging;
    const eventsStream = subjects.streamName('events');
    const sendsStream = subjects.streamName('voice');
    expect((await sut.messaging.jsm.streams.info(eventsStream)).config.num_replicas).toBe(3);
    await applyOwnedStream(sut.messaging.jsm, subjects, 'voice', 3);

    // The victim leads both streams and holds the consumers' connection: its loss hits every path.
    const victimName = (await sut.messaging.jsm.streams.info(eventsStream)).cluster!.leader!;
    const victim: NatsClusterNode = cluster.node(victimName);
    await leadStreamFrom(sut.messaging, sendsStream, victimName);
    consumers = await connectThrough(cluster.url, sut.prefix, victimName);
    sender = await connectMessaging({ url: cluster.url, name: 'node-loss-sender', prefix: sut.prefix, streamReplicas: 3 });

    running.push(
      new DurableConsumer(
        {
          durable: 'node-loss-ingested',
          contract: EventsIngested,
          ackWaitMs: ACK_WAIT_MS,
          handle: (body, { manager }) => recordHandled('ingested', body.events.map((event) => event.messageId), manager),
          handleBatch: (messages, manager) => recordHandled('ingested', messages.flatMap(({ body }) => body.events.map((event) => event.messageId)), manager),
        },
        bed.dataSource,
        consumers,
        silentLogger,
      ),
      new DurableConsumer(
        {
          durable: 'node-loss-sends',
          contract: CallPlaced,
          ackWaitMs: ACK_WAIT_MS,
          handle: (body, { manager }) => recordHandled('sends', [body.callId], manager),
        },
        bed.dataSource,
        consumers,
        silentLogger,
      ),
    );
    for (const consumer of running) await consumer.start();
    relay = new OutboxRelay(bed.dataSource, sender, silentLogger, { pollIntervalMs: 100 });
    await relay.start();
    const writer = new OutboxWriter(subjects);
    const sends: string[] = [];
    const enqueueSends = async () => {
      const bodies: MessageOf<typeof CallPlaced>[] = Array.from({ length: SENDS_PER_BATCH }, () => ({
        projectId,
        occurredAt: new Date().toISOString(),
        callId: randomUUID(),
        callerProfileId: randomUUID(),
        calleeProfileId: randomUUID(),
      }));
      await bed.dataSource.transaction((manager) => writer.enqueueMany(manager, CallPlaced, bodies));
      sends.push(...bodies.map((body) => body.callId));
    };

    let next = 0;
    let acknowledged = 0;
    let handledAtKill: { runs: number; ids: number } | undefined;
    const worker = async () => {
      while (next < BATCHES) {
        const n = next++;
        await ingest(n);
        await enqueueSends();
        if (++acknowledged === Math.round(BATCHES / 3)) {
          handledAtKill = await handled('ingested');
          await victim.kill();
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(victim.running).toBe(false);
    expect(handledAtKill!.ids).toBeLessThan(EVENTS);

    // Everything acknowledged is published and handled while the victim is still down.
    await eventually(async () => (await bed.dataSource.query(`SELECT count(*)::int AS n FROM "${bed.schema}".outbox`))[0].n === 0, {
      timeoutMs: SETTLE_TIMEOUT_MS,
      intervalMs: 500,
    });
    await sut.flushOutbox();
    await eventually(async () => (await handled('ingested')).ids === EVENTS && (await handled('sends')).ids === SENDS, {
      timeoutMs: SETTLE_TIMEOUT_MS,
      intervalMs: 500,
    });
    const durables = [
      [eventsStream, 'node-loss-ingested'],
      [sendsStream, 'node-loss-sends'],
    ] as const;
    for (const [stream, durable] of durables) {
      await eventually(
        async () => {
          const info = await consumers!.jsm.consumers.info(stream, durable);
          return info.num_pending === 0 && info.num_ack_pending === 0;
        },
        { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 },
      );
    }
    expect(victim.running).toBe(false);
    expect(consumers.nc.info?.server_name).not.toBe(victimName);
    // Each message handled once: redeliveries (acks lost with the victim) were skipped by the inbox.
    expect(await handled('ingested')).toEqual({ runs: EVENTS, ids: EVENTS });
    expect(await handled('sends')).toEqual({ runs: SENDS, ids: SENDS });

    // The victim comes back and catches up from the leaders: every replica of the streams and of the consumers is current.
    await victim.restart();
    const current = (placement: { leader?: string; replicas?: { current: boolean; offline?: boolean }[] } | undefined) =>
      placement?.leader !== undefined && placement.replicas?.length === 2 && placement.replicas.every((replica) => replica.current && !replica.offline);
    for (const stream of [eventsStream, sendsStream, subjects.deadLetterStream]) {
      await eventually(async () => current((await sut.messaging.jsm.streams.info(stream)).cluster), { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 });
    }
    for (const [stream, durable] of durables) {
      await eventually(async () => current((await sut.messaging.jsm.consumers.info(stream, durable)).cluster), { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 });
    }

    // Every acknowledged event and send is stored once: no Nats-Msg-Id twice, no event in two messages.
    const announced = await readStream(sut.messaging, eventsStream);
    expect(repeated(announced.map(({ msgId }) => msgId))).toEqual([]);
    const events = announced.flatMap(({ body }) => (JSON.parse(body) as MessageOf<typeof EventsIngested>).events.map((event) => event.messageId));
    expect(events).toHaveLength(EVENTS);
    expect(new Set(events)).toEqual(new Set(Array.from({ length: EVENTS }, (_, i) => `node-loss-${Math.floor(i / EVENTS_PER_BATCH)}-${i % EVENTS_PER_BATCH}`)));
    const sent = await readStream(sut.messaging, sendsStream);
    expect(repeated(sent.map(({ msgId }) => msgId))).toEqual([]);
    expect(sent.map(({ body }) => (JSON.parse(body) as MessageOf<typeof CallPlaced>).callId).sort()).toEqual([...sends].sort());

    // Led by the restarted node, the streams hold what the survivors held.
    for (const [stream, messages] of [[eventsStream, announced.length], [sendsStream, SENDS]] as const) {
      await leadStreamFrom(sut.messaging, stream, victimName);
      expect((await sut.messaging.jsm.streams.info(stream)).state).toMatchObject({ messages, last_seq: messages });
    }
  }, 300_000);
});
