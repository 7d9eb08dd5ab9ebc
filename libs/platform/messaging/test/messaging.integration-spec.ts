import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import pino from 'pino';
import { ProjectCreated, type MessageOf } from '@boomerang/contracts';
import {
  DurableConsumer,
  MessagingTables1763900000000,
  OutboxBatches1763900009000,
  OutboxRelay,
  OutboxWriter,
  type DeadLetter,
} from '@boomerang/platform/messaging';
import { eventually, silentLogger, type IsolatedSchema, type TestMessaging } from '@boomerang/platform/testing';
import { startMessagingTestBed, type MessagingTestBed } from './support.js';

const body = (projectId: string = randomUUID()): MessageOf<typeof ProjectCreated> => ({
  projectId,
  occurredAt: new Date().toISOString(),
  name: 'Acme',
});

describe('messaging against real PostgreSQL and NATS', () => {
  let bed: MessagingTestBed;
  let db: IsolatedSchema;
  let nats: TestMessaging;
  let writer: OutboxWriter;

  beforeAll(async () => {
    bed = await startMessagingTestBed('messaging', [MessagingTables1763900000000, OutboxBatches1763900009000]);
    ({ db, nats } = bed);
    writer = new OutboxWriter(nats.subjects);
  });
  afterAll(() => bed?.close());

  const streamMessages = async () => (await nats.jsm.streams.info(nats.subjects.streamName('workspace'))).state.messages;

  it('refuses to enqueue a body that violates its contract, writing nothing', async () => {
    await expect(
      db.dataSource.transaction((manager) => writer.enqueue(manager, ProjectCreated, { ...body(), name: '' })),
    ).rejects.toThrow(/name/);
    const [{ count }] = await db.dataSource.query(`SELECT count(*)::int AS count FROM "${db.schema}".outbox`);
    expect(count).toBe(0);
  });

  it('publishes a message committed before a crash exactly once after restart', async () => {
    const before = await streamMessages();
    // The process "crashes" after commit: no relay ever ran for this row.
    await db.dataSource.transaction((manager) => writer.enqueue(manager, ProjectCreated, body()));
    // A second crash, this time after publishing but before marking the row published.
    const realPublish = nats.js.publish.bind(nats.js);
    const crashingJs = {
      publish: async (...args: Parameters<typeof nats.js.publish>) => {
        await realPublish(...args);
        throw new Error('process died before marking the row');
      },
    };
    await expect(new OutboxRelay(db.dataSource, { js: crashingJs as never }, silentLogger).relayBatch()).rejects.toThrow(
      /died/,
    );
    expect(await streamMessages()).toBe(before + 1);

    // Restart: the relay finds the row still unpublished and publishes it again with the same id.
    const restarted = new OutboxRelay(db.dataSource, nats, silentLogger, { pollIntervalMs: 100 });
    await restarted.start();
    await eventually(async () => {
      const [{ pending }] = await db.dataSource.query(
        `SELECT count(*)::int AS pending FROM "${db.schema}".outbox`,
      );
      return pending === 0;
    });
    await restarted.stop();
    expect(await streamMessages()).toBe(before + 1);
    // Relayed rows are removed (only once their publish was acked: the crash above kept it).
    const [{ left }] = await db.dataSource.query(`SELECT count(*)::int AS left FROM "${db.schema}".outbox`);
    expect(left).toBe(0);
  });

  it('writes the messages of one call as one row and publishes each once under its own id, also after a failed relay', async () => {
    const projectId = randomUUID();
    const bodies = [body(projectId), body(projectId), body(projectId)];
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await db.dataSource.transaction((manager) => writer.enqueueMany(manager, ProjectCreated, bodies, ids));
    const [{ rows }] = await db.dataSource.query(`SELECT count(*)::int AS rows FROM "${db.schema}".outbox`);
    expect(rows).toBe(1);
    // The relay dies after two of the three publishes were acked: the row stays and all three go again.
    const realPublish = nats.js.publish.bind(nats.js);
    let publishes = 0;
    const dyingJs = {
      publish: async (...args: Parameters<typeof nats.js.publish>) => {
        if (++publishes === 3) throw new Error('process died mid-batch');
        return realPublish(...args);
      },
    };
    await expect(new OutboxRelay(db.dataSource, { js: dyingJs as never }, silentLogger).relayBatch()).rejects.toThrow(/died/);
    expect(await new OutboxRelay(db.dataSource, nats, silentLogger).relayBatch()).toBe(1);

    const subject = nats.subjects.subject(ProjectCreated, projectId);
    const stream = nats.subjects.streamName('workspace');
    const info = await nats.jsm.streams.info(stream, { subjects_filter: subject });
    expect((info.state.subjects as Record<string, number>)[subject]).toBe(3);
    const consumer = await nats.js.consumers.get(stream, { filter_subjects: subject });
    const received: { id: string | undefined; body: unknown }[] = [];
    for await (const message of await consumer.fetch({ max_messages: 3, expires: 2000 })) {
      received.push({ id: message.headers?.get('Nats-Msg-Id'), body: message.json() });
      if (received.length === 3) break;
    }
    expect(received).toEqual(bodies.map((sent, i) => ({ id: ids[i], body: sent })));
    const [{ left }] = await db.dataSource.query(`SELECT count(*)::int AS left FROM "${db.schema}".outbox`);
    expect(left).toBe(0);
  });

  it('removes from unrelayed rows every message naming an erased person, keeping the rest of each batch with its ids', async () => {
    const projectId = randomUUID();
    const otherProject = randomUUID();
    const erased = randomUUID();
    const named = (project: string) => ({ ...body(project), name: `Acme of ${erased}` });
    const kept = body(projectId);
    const keptId = randomUUID();
    await db.dataSource.transaction(async (manager) => {
      await writer.enqueueMany(manager, ProjectCreated, [named(projectId), kept, named(projectId)], [randomUUID(), keptId, randomUUID()]);
      await writer.enqueueMany(manager, ProjectCreated, [named(projectId)]);
      await writer.enqueueMany(manager, ProjectCreated, [named(otherProject)]);
    });
    const rows = () =>
      db.dataSource.query(`SELECT project_id, bodies, message_ids FROM "${db.schema}".outbox WHERE project_id = ANY($1) ORDER BY project_id = $2 DESC`, [[projectId, otherProject], projectId]);
    try {
      expect(await db.dataSource.transaction((manager) => writer.removeMessagesNaming(manager, projectId, erased))).toBe(3);
      const left = (await rows()) as { project_id: string; bodies: unknown[]; message_ids: string[] }[];
      expect(left.map((row) => [row.project_id, row.bodies.length])).toEqual([
        [projectId, 1],
        [otherProject, 1],
      ]);
      expect(left[0]).toMatchObject({ bodies: [kept], message_ids: [keptId] });
      expect(await db.dataSource.transaction((manager) => writer.removeMessagesNaming(manager, projectId, erased))).toBe(0);
    } finally {
      await db.dataSource.query(`DELETE FROM "${db.schema}".outbox WHERE project_id = ANY($1)`, [[projectId, otherProject]]);
    }
  });

  it('publishes each message of a large row (its ids and bodies stored compressed out of line) under its own id, in order', async () => {
    const projectId = randomUUID();
    const bodies = Array.from({ length: 1500 }, () => body(projectId));
    const ids = bodies.map((_, i) => `large-row:${projectId}:${String(i).padStart(4, '0')}:${randomUUID()}`);
    await db.dataSource.transaction((manager) => writer.enqueueMany(manager, ProjectCreated, bodies, ids));
    const [{ stored }] = await db.dataSource.query(`SELECT pg_column_size(message_ids) < octet_length(message_ids::text) AS stored FROM "${db.schema}".outbox`);
    expect(stored).toBe(true);
    expect(await new OutboxRelay(db.dataSource, nats, silentLogger, { maxMessages: 5000 }).relayBatch()).toBe(1);

    const subject = nats.subjects.subject(ProjectCreated, projectId);
    const consumer = await nats.js.consumers.get(nats.subjects.streamName('workspace'), { filter_subjects: subject });
    const received: string[] = [];
    for await (const message of await consumer.fetch({ max_messages: bodies.length, expires: 5000 })) {
      received.push(message.headers!.get('Nats-Msg-Id'));
      if (received.length === bodies.length) break;
    }
    expect(received).toEqual(ids);
    // The durable consumers below read the stream from its start.
    await nats.jsm.streams.purge(nats.subjects.streamName('workspace'), { filter: subject });
  });

  it('relays a batch through its own ack inbox, one stored message per id, without a js.publish request each', async () => {
    const projectId = randomUUID();
    const bodies = [body(projectId), body(projectId), body(projectId)];
    await db.dataSource.transaction((manager) => writer.enqueueMany(manager, ProjectCreated, bodies));
    const publish = jest.fn(nats.js.publish.bind(nats.js));
    expect(await new OutboxRelay(db.dataSource, { nc: nats.nc, js: { publish } as never }, silentLogger).relayBatch()).toBe(1);
    expect(publish).not.toHaveBeenCalled();
    const subject = nats.subjects.subject(ProjectCreated, projectId);
    const info = await nats.jsm.streams.info(nats.subjects.streamName('workspace'), { subjects_filter: subject });
    expect((info.state.subjects as Record<string, number>)[subject]).toBe(3);
  });

  it('sends what its inbox saw no ack for through js.publish, and the stream keeps one copy of a message whose ack was lost', async () => {
    const projectId = randomUUID();
    await db.dataSource.transaction((manager) => writer.enqueueMany(manager, ProjectCreated, [body(projectId), body(projectId)]));
    // The publishes land, but their acks go to an inbox nobody hears.
    const deaf = { publish: nats.nc.publish.bind(nats.nc), subscribe: (subject: string, options: object) => nats.nc.subscribe(`${subject}.deaf`, options) };
    const publish = jest.fn(nats.js.publish.bind(nats.js));
    expect(await new OutboxRelay(db.dataSource, { nc: deaf as never, js: { publish } as never }, silentLogger).relayBatch()).toBe(1);
    expect(publish).toHaveBeenCalledTimes(2);
    const subject = nats.subjects.subject(ProjectCreated, projectId);
    const info = await nats.jsm.streams.info(nats.subjects.streamName('workspace'), { subjects_filter: subject });
    expect((info.state.subjects as Record<string, number>)[subject]).toBe(2);
  }, 20_000);

  it('takes rows in order while their messages fit the per-transaction bound (a larger first row goes alone)', async () => {
    const projectId = randomUUID();
    for (const size of [3, 2, 1]) {
      await db.dataSource.transaction((manager) => writer.enqueueMany(manager, ProjectCreated, Array.from({ length: size }, () => body(projectId))));
    }
    const relay = new OutboxRelay(db.dataSource, nats, silentLogger, { maxMessages: 2 });
    expect(await relay.relayBatch()).toBe(1); // 3 messages: over the bound, but a first row always goes
    expect(await relay.relayBatch()).toBe(1); // 2 fit; the next row would make 3
    expect(await relay.relayBatch()).toBe(1);
    expect(await relay.relayBatch()).toBe(0);
    const subject = nats.subjects.subject(ProjectCreated, projectId);
    const info = await nats.jsm.streams.info(nats.subjects.streamName('workspace'), { subjects_filter: subject });
    expect((info.state.subjects as Record<string, number>)[subject]).toBe(6);
  });

  it('returns from a flush after a failed relay attempt (as at shutdown while NATS cannot take publishes), and the next poll retries', async () => {
    await db.dataSource.transaction((manager) => writer.enqueue(manager, ProjectCreated, body()));
    let attempts = 0;
    // Slower than the poll: a failure seen only after retries, as during a leader election.
    const unansweredJs = {
      publish: async () => {
        attempts++;
        await new Promise((resolve) => setTimeout(resolve, 300));
        throw new Error('no responders');
      },
    };
    const relay = new OutboxRelay(db.dataSource, { js: unansweredJs as never }, silentLogger, { pollIntervalMs: 50 });
    await relay.start();
    try {
      await relay.flush();
      const flushed = attempts;
      await eventually(() => attempts > flushed, { timeoutMs: 5_000 });
    } finally {
      await relay.stop();
    }
    const [{ pending }] = await db.dataSource.query(`SELECT count(*)::int AS pending FROM "${db.schema}".outbox`);
    expect(pending).toBe(1);
    expect(await new OutboxRelay(db.dataSource, nats, silentLogger).relayBatch()).toBe(1);
  });

  it('redelivers to a consumer that throws, then dead-letters after the bound', async () => {
    const projectId = randomUUID();
    const attempts: number[] = [];
    const consumer = new DurableConsumer(
      {
        durable: 'always-fails',
        contract: ProjectCreated,
        maxDeliveries: 3,
        retryDelaysMs: [50],
        handle: async (received, context) => {
          if (received.projectId === projectId) attempts.push(context.deliveryCount);
          throw new Error('handler is broken');
        },
      },
      db.dataSource,
      nats,
      silentLogger,
    );
    const relay = new OutboxRelay(db.dataSource, nats, silentLogger, { pollIntervalMs: 100 });
    await relay.start();
    await consumer.start();
    await db.dataSource.transaction((manager) => writer.enqueue(manager, ProjectCreated, body(projectId)));

    const letter = await eventually(async () => {
      const info = await nats.jsm.streams.info(nats.subjects.deadLetterStream).catch(() => undefined);
      for (let seq = info?.state.first_seq ?? 1; info && seq <= info.state.last_seq; seq++) {
        const stored = (await nats.jsm.streams.getMessage(nats.subjects.deadLetterStream, { seq }))!.json<DeadLetter>();
        if (stored.subject.includes(projectId)) return stored;
      }
      return undefined;
    });
    expect(letter).toMatchObject({ consumer: 'always-fails', deliveries: 3, error: 'handler is broken' });
    expect(attempts).toEqual([1, 2, 3]);
    await consumer.stop();
    await relay.stop();
  });

  it('processes a message once when it is redelivered after processing (lost ack)', async () => {
    const projectId = randomUUID();
    const seen: number[] = [];
    const logLines: string[] = [];
    // Processed before, and its ack was lost: the inbox holds it, and JetStream delivers it again.
    const messageId = randomUUID();
    await db.dataSource.query(`INSERT INTO "${db.schema}".inbox (consumer, message_id, project_id) VALUES ('lost-ack', $1, $2)`, [messageId, projectId]);
    const consumer = new DurableConsumer(
      {
        durable: 'lost-ack',
        contract: ProjectCreated,
        handle: async (received, context) => {
          if (received.projectId === projectId) seen.push(context.deliveryCount);
        },
      },
      db.dataSource,
      nats,
      pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) }),
    );
    await consumer.start();
    await nats.js.publish(nats.subjects.subject(ProjectCreated, projectId), JSON.stringify(body(projectId)), { msgID: messageId });
    await eventually(() => logLines.some((line) => line.includes('duplicate delivery skipped')));
    await eventually(async () => (await nats.jsm.consumers.info(nats.subjects.streamName('workspace'), 'lost-ack')).num_ack_pending === 0);
    expect(seen).toEqual([]);
    await consumer.stop();
  });

  it('gives a long-running handler its messages one pull at a time and keeps them in progress, so none is delivered again while it runs', async () => {
    const projectId = randomUUID();
    const seen: { name: string; delivery: number }[] = [];
    const consumer = new DurableConsumer(
      {
        durable: 'slow-handler',
        contract: ProjectCreated,
        ackWaitMs: 500,
        maxDeliveries: 2,
        longRunning: true,
        handle: async (received, context) => {
          if (received.projectId !== projectId) return;
          seen.push({ name: received.name, delivery: context.deliveryCount });
          // Outlives ack wait × maxDeliveries: a message fetched meanwhile would be redelivered past its bound.
          if (received.name === 'first') await new Promise((resolve) => setTimeout(resolve, 2_000));
        },
      },
      db.dataSource,
      nats,
      silentLogger,
    );
    await consumer.start();
    const subject = nats.subjects.subject(ProjectCreated, projectId);
    await nats.js.publish(subject, JSON.stringify({ ...body(projectId), name: 'first' }), { msgID: randomUUID() });
    await eventually(() => seen.length === 1);
    await nats.js.publish(subject, JSON.stringify({ ...body(projectId), name: 'second' }), { msgID: randomUUID() });
    await eventually(async () => {
      const info = await nats.jsm.consumers.info(nats.subjects.streamName('workspace'), 'slow-handler');
      return seen.length === 2 && info.num_ack_pending === 0 && info.num_pending === 0;
    });
    expect(seen).toEqual([
      { name: 'first', delivery: 1 },
      { name: 'second', delivery: 1 },
    ]);
    // One delivery per message of the stream: nothing was delivered twice.
    const stream = await nats.jsm.streams.info(nats.subjects.streamName('workspace'));
    expect((await nats.jsm.consumers.info(nats.subjects.streamName('workspace'), 'slow-handler')).delivered.consumer_seq).toBe(stream.state.messages);
    await consumer.stop();
  });
});
