import { randomUUID } from 'node:crypto';
import { ProjectCreated, type MessageOf } from '@boomerang/contracts';
import { DurableConsumer, MessagingTables1763900000000, type BatchMessage, type DeadLetter, type DurableConsumerDefinition } from '@boomerang/platform/messaging';
import { eventually, silentLogger, type IsolatedSchema, type TestMessaging } from '@boomerang/platform/testing';
import { startMessagingTestBed, type MessagingTestBed } from './support.js';

type Message = BatchMessage<typeof ProjectCreated>;

describe('DurableConsumer batch handling against real PostgreSQL and NATS', () => {
  let bed: MessagingTestBed;
  let db: IsolatedSchema;
  let nats: TestMessaging;

  beforeAll(async () => {
    bed = await startMessagingTestBed('batchconsumer', [MessagingTables1763900000000]);
    ({ db, nats } = bed);
    await db.dataSource.query(`CREATE TABLE "${db.schema}".effect (message_id text NOT NULL, name text NOT NULL)`);
  });
  afterAll(() => bed?.close());

  /** Publishes straight to the stream (as a relay would) with the given message id. */
  const publish = async (name: string, msgID = randomUUID()): Promise<string> => {
    const projectId = randomUUID();
    const body: MessageOf<typeof ProjectCreated> = { projectId, occurredAt: new Date().toISOString(), name };
    await nats.js.publish(nats.subjects.subject(ProjectCreated, projectId), JSON.stringify(body), { msgID });
    return msgID;
  };
  const effects = async (): Promise<{ message_id: string; name: string }[]> =>
    db.dataSource.query(`SELECT message_id, name FROM "${db.schema}".effect ORDER BY name`);
  // Every consumer reads the whole stream: each test writes only the messages it published.
  const ours = (tag: string, messages: readonly Message[]) => messages.filter((message) => message.body.name.startsWith(tag));
  const inboxCount = async (consumer: string): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".inbox WHERE consumer = $1`, [consumer]))[0].n;
  const writeEffects = (manager: import('typeorm').EntityManager, messages: readonly Message[]) =>
    manager.query(`INSERT INTO "${db.schema}".effect (message_id, name) SELECT * FROM unnest($1::text[], $2::text[])`, [
      messages.map((message) => message.messageId),
      messages.map((message) => message.body.name),
    ]);
  const start = async (definition: DurableConsumerDefinition<typeof ProjectCreated>) => {
    const consumer = new DurableConsumer(definition, db.dataSource, nats, silentLogger);
    await consumer.start();
    return consumer;
  };
  /** What `durable` has dead-lettered so far, in order. */
  const deadLetters = async (durable: string): Promise<DeadLetter[]> => {
    const found: DeadLetter[] = [];
    const info = await nats.jsm.streams.info(nats.subjects.deadLetterStream).catch(() => undefined);
    for (let seq = info?.state.first_seq ?? 1; info && info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const stored = (await nats.jsm.streams.getMessage(nats.subjects.deadLetterStream, { seq }))!.json<DeadLetter>();
      if (stored.consumer === durable) found.push(stored);
    }
    return found;
  };
  const until = (name: string) => eventually(async () => (await effects()).some((row) => row.name === name), { timeoutMs: 15_000 });

  beforeEach(() => db.dataSource.query(`TRUNCATE "${db.schema}".effect, "${db.schema}".inbox`));

  it('handles messages that arrived together in one call, with their inbox rows, and skips ones processed before', async () => {
    const durable = `batch-${randomUUID().slice(0, 8)}`;
    // Processed before (its ack was lost): the inbox already holds it.
    const processedId = randomUUID();
    for (let n = 0; n < 30; n++) await publish(`a-m${String(n).padStart(2, '0')}`, n === 3 ? processedId : undefined);
    await db.dataSource.query(`INSERT INTO "${db.schema}".inbox (consumer, message_id, project_id) VALUES ($1, $2, $3)`, [durable, processedId, randomUUID()]);
    const batchSizes: number[] = [];
    const singles: string[] = [];
    const sut = await start({
      durable,
      contract: ProjectCreated,
      maxBatchSize: 25,
      handle: async (body) => void singles.push(body.name),
      handleBatch: async (messages, manager) => {
        batchSizes.push(messages.length);
        await writeEffects(manager, ours('a-', messages));
      },
    });
    await until('a-m29');
    await sut.stop();
    const names = (await effects()).map((row) => row.name);
    expect(names).toHaveLength(29);
    expect(names).not.toContain('a-m03');
    expect(singles).toEqual([]);
    // Everything was already on the stream, so it came in at most two batches of at most 25.
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(25);
    expect(await inboxCount(durable)).toBe(30);
  });

  it('falls back to one by one when the batch fails: the others commit once, the poison message is dead-lettered', async () => {
    const durable = `poison-${randomUUID().slice(0, 8)}`;
    for (let n = 0; n < 10; n++) await publish(n === 4 ? 'b-poison' : `b-ok${n}`);
    const attemptsOfPoison: number[] = [];
    const sut = await start({
      durable,
      contract: ProjectCreated,
      maxDeliveries: 2,
      retryDelaysMs: [50],
      handle: async (body, context) => {
        if (body.name === 'b-poison') {
          attemptsOfPoison.push(context.deliveryCount);
          throw new Error('cannot handle poison');
        }
        await writeEffects(context.manager, ours('b-', [{ ...context, body }]));
      },
      handleBatch: async (messages, manager) => {
        await writeEffects(manager, ours('b-', messages));
        if (messages.some((message) => message.body.name === 'b-poison')) throw new Error('batch contains poison');
      },
    });
    const letter = await eventually(async () => (await deadLetters(durable))[0], { timeoutMs: 15_000 });
    await sut.stop();
    expect(letter).toMatchObject({ deliveries: 2, error: 'cannot handle poison' });
    expect(attemptsOfPoison).toEqual([1, 2]);
    // The batch's rolled-back writes left nothing; each good message is there exactly once.
    const names = (await effects()).map((row) => row.name);
    expect(names).toEqual(['b-ok0', 'b-ok1', 'b-ok2', 'b-ok3', 'b-ok5', 'b-ok6', 'b-ok7', 'b-ok8', 'b-ok9']);
    // Its own nine plus the first test's thirty, which this consumer also read.
    expect(await inboxCount(durable)).toBe(39);
  });

  it('on the last delivery of a message that splits, dead-letters only its failing parts and commits the others once', async () => {
    const durable = `split-${randomUUID().slice(0, 8)}`;
    // One message carrying three items (here: comma-separated names), one of them poison.
    const messageId = await publish('c-ok1,c-poison,c-ok2');
    const attempts: string[] = [];
    const sut = await start({
      durable,
      contract: ProjectCreated,
      maxDeliveries: 2,
      retryDelaysMs: [50],
      handle: async (body, context) => {
        if (!body.name.startsWith('c-')) return;
        attempts.push(`${body.name}@${context.deliveryCount}`);
        for (const name of body.name.split(',')) {
          if (name === 'c-poison') throw new Error('cannot handle poison');
          await writeEffects(context.manager, [{ ...context, body: { ...body, name } }]);
        }
      },
      split: (body) => body.name.split(',').map((name) => ({ ...body, name })),
    });
    const letters = () => deadLetters(durable);
    await eventually(async () => (await letters()).length > 0 && (await effects()).length === 2, { timeoutMs: 15_000 });
    await sut.stop();
    // Whole twice (both deliveries), then each part once on the last delivery.
    expect(attempts).toEqual(['c-ok1,c-poison,c-ok2@1', 'c-ok1,c-poison,c-ok2@2', 'c-ok1@2', 'c-poison@2', 'c-ok2@2']);
    expect((await effects()).map((row) => row.name)).toEqual(['c-ok1', 'c-ok2']);
    const [letter, ...more] = await letters();
    expect(more).toEqual([]);
    expect(letter).toMatchObject({ deliveries: 2, error: 'cannot handle poison' });
    expect(JSON.parse(letter!.payload)).toMatchObject({ name: 'c-poison' });
    const inbox = await db.dataSource.query(`SELECT message_id FROM "${db.schema}".inbox WHERE consumer = $1 AND message_id = $2`, [durable, messageId]);
    expect(inbox).toHaveLength(1);
  });

  it('keeps a batch slower than ack wait in progress: it is not delivered again, dead-lettered or lost', async () => {
    const durable = `slow-${randomUUID().slice(0, 8)}`;
    const deliveries: number[] = [];
    const sut = await start({
      durable,
      contract: ProjectCreated,
      ackWaitMs: 500,
      maxDeliveries: 2,
      handle: async (body, context) => {
        deliveries.push(context.deliveryCount);
        await writeEffects(context.manager, ours('s-', [{ ...context, body }]));
      },
      handleBatch: async (messages, manager) => {
        const mine = ours('s-', messages);
        deliveries.push(...mine.map((message) => message.deliveryCount));
        // The batch waits (on a lock, say) for six ack waits.
        if (mine.length > 0) await new Promise((resolve) => setTimeout(resolve, 3_000));
        await writeEffects(manager, mine);
      },
    });
    const consumerInfo = () => nats.jsm.consumers.info(nats.subjects.streamName(ProjectCreated.domain), durable);
    const drained = () => eventually(async () => ((info) => info.num_pending + info.num_ack_pending === 0)(await consumerInfo()), { timeoutMs: 15_000 });
    // The stream's earlier messages first (this durable reads it from the start), quickly.
    await drained();
    await publish('s-slow');
    await eventually(async () => (await effects()).some((row) => row.name === 's-slow'), { timeoutMs: 15_000 });
    await drained();
    await sut.stop();
    // One delivery per message of the stream: the slow one was not delivered again while it was handled.
    const stream = await nats.jsm.streams.info(nats.subjects.streamName(ProjectCreated.domain));
    expect((await consumerInfo()).delivered.consumer_seq).toBe(stream.state.messages);
    expect((await effects()).filter((row) => row.name.startsWith('s-')).map((row) => row.name)).toEqual(['s-slow']);
    expect(await deadLetters(durable)).toEqual([]);
    expect(deliveries).toEqual([1]);
  });

  describe('in parts', () => {
    /** A message's items are its comma-separated name; part `index` of `count` takes the items at positions ≡ index (mod count). */
    const share = (name: string, index: number, count: number) => name.split(',').filter((_, position) => position % count === index);
    const writeShares = (manager: import('typeorm').EntityManager, tag: string, messages: readonly Omit<Message, 'deliveryCount'>[], part: { index: number; count: number }) =>
      writeEffects(
        manager,
        ours(tag, messages as Message[]).flatMap((message) => share(message.body.name, part.index, part.count).map((name) => ({ ...message, body: { ...message.body, name } }))),
      );
    const partRows = async (durable: string): Promise<number> =>
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".inbox WHERE consumer LIKE $1`, [`${durable}#%`]))[0].n;

    it('handles each part of every message once, in transactions running at once, and keeps no part rows', async () => {
      const durable = `parts-${randomUUID().slice(0, 8)}`;
      for (let n = 0; n < 12; n++) await publish(`d-${n}a,d-${n}b,d-${n}c`);
      let running = 0;
      let concurrent = 0;
      const sut = await start({
        durable,
        contract: ProjectCreated,
        parts: 3,
        handle: async () => {
          throw new Error('the batch path handles these');
        },
        handleBatch: async (messages, manager, part) => {
          running++;
          concurrent = Math.max(concurrent, running);
          // Each part waits (a while at most) for the others to be running too: they run at once, not one after another.
          await eventually(() => concurrent === 3, { timeoutMs: 5_000 }).catch(() => undefined);
          running--;
          await writeShares(manager, 'd-', messages, part!);
        },
      });
      await eventually(async () => (await effects()).filter((row) => row.name.startsWith('d-')).length === 36, { timeoutMs: 15_000 });
      await sut.stop();
      const names = (await effects()).map((row) => row.name);
      expect(new Set(names).size).toBe(names.length);
      expect(concurrent).toBe(3);
      expect(await partRows(durable)).toBe(0);
    });

    it('after a part failed, its batch falls back message by message to the parts not committed: nothing twice, nothing lost', async () => {
      const durable = `partfail-${randomUUID().slice(0, 8)}`;
      for (let n = 0; n < 6; n++) await publish(`e-${n}a,e-${n}b`);
      const handled: string[] = [];
      const sut = await start({
        durable,
        contract: ProjectCreated,
        parts: 2,
        retryDelaysMs: [50],
        handle: async (body, { manager, messageId, projectId, subject, part }) => {
          if (!body.name.startsWith('e-')) return;
          handled.push(`${part!.index}/${part!.count}`);
          await writeShares(manager, 'e-', [{ body, messageId, projectId, subject }], part!);
        },
        handleBatch: async (messages, manager, part) => {
          await writeShares(manager, 'e-', messages, part!);
          if (part!.index === 1 && ours('e-', messages).length > 0) throw new Error('part 1 fails in the batch');
        },
      });
      await eventually(async () => (await effects()).filter((row) => row.name.startsWith('e-')).length === 12, { timeoutMs: 15_000 });
      await sut.stop();
      const names = (await effects()).map((row) => row.name).filter((name) => name.startsWith('e-'));
      expect(names).toEqual(Array.from({ length: 6 }, (_, n) => [`e-${n}a`, `e-${n}b`]).flat());
      // Only part 1 of the test's messages went through `handle`: part 0 had committed in the batch.
      expect(handled.length).toBeGreaterThan(0);
      expect(new Set(handled)).toEqual(new Set(['1/2']));
      expect(await partRows(durable)).toBe(0);
    });

    it('a message redelivered with parts done under another count is finished with that count', async () => {
      const durable = `partcount-${randomUUID().slice(0, 8)}`;
      await publish('f-a,f-b,f-c,f-d,f-e,f-f');
      // The first instance (three parts) commits parts 0 and 1, then part 2 fails and so does the fallback: the message comes back.
      const first = await start({
        durable,
        contract: ProjectCreated,
        parts: 3,
        retryDelaysMs: [1_000],
        handle: async (body, { part }) => {
          if (body.name.startsWith('f-')) throw new Error(`part ${part!.index} fails for now`);
        },
        handleBatch: async (messages, manager, part) => {
          if (part!.index === 2 && ours('f-', messages).length > 0) throw new Error('part 2 fails');
          await writeShares(manager, 'f-', messages, part!);
        },
      });
      await eventually(async () => (await partRows(durable)) === 2, { timeoutMs: 15_000 });
      await first.stop();
      // The next instance runs two parts; the message comes back to it a second after the nak.
      const parts: string[] = [];
      const second = await start({
        durable,
        contract: ProjectCreated,
        parts: 2,
        handle: async (body, { manager, messageId, projectId, subject, part }) => {
          if (!body.name.startsWith('f-')) return;
          parts.push(`${part!.index}/${part!.count}`);
          await writeShares(manager, 'f-', [{ body, messageId, projectId, subject }], part!);
        },
        handleBatch: async (messages) => {
          if (ours('f-', messages).length > 0) throw new Error('the f- message must be finished alone, with three parts');
        },
      });
      await eventually(async () => (await effects()).filter((row) => row.name.startsWith('f-')).length === 6, { timeoutMs: 20_000 });
      await second.stop();
      expect(parts).toEqual(['2/3']);
      expect((await effects()).map((row) => row.name).filter((name) => name.startsWith('f-'))).toEqual(['f-a', 'f-b', 'f-c', 'f-d', 'f-e', 'f-f']);
      expect(await partRows(durable)).toBe(0);
    });
  });

  it('with idempotentHandler writes no inbox rows: a message delivered again is handled again, and its keyed write changes nothing', async () => {
    const durable = `keyed-${randomUUID().slice(0, 8)}`;
    await db.dataSource.query(`CREATE TABLE IF NOT EXISTS "${db.schema}".keyed_effect (message_id text PRIMARY KEY, name text NOT NULL)`);
    for (let n = 0; n < 20; n++) await publish(`k-m${String(n).padStart(2, '0')}`);
    const handled: string[] = [];
    const definition: DurableConsumerDefinition<typeof ProjectCreated> = {
      durable,
      contract: ProjectCreated,
      idempotentHandler: true,
      handle: async () => {
        throw new Error('not called: no batch fails');
      },
      handleBatch: async (messages, manager) => {
        const mine = ours('k-', messages);
        handled.push(...mine.map((message) => message.body.name));
        await manager.query(`INSERT INTO "${db.schema}".keyed_effect SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, [
          mine.map((message) => message.messageId),
          mine.map((message) => message.body.name),
        ]);
      },
    };
    const keyedCount = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".keyed_effect WHERE name LIKE 'k-%'`))[0].n as number;
    let sut = await start(definition);
    await eventually(async () => (await keyedCount()) === 20 || null, { timeoutMs: 15_000 });
    await sut.stop();
    expect(await inboxCount(durable)).toBe(0);
    expect(handled).toHaveLength(20);
    // Every message again (the durable read from the start anew), as after acks lost in a crash: no inbox keeps them out.
    await nats.jsm.consumers.delete(nats.subjects.streamName(ProjectCreated.domain), durable);
    sut = await start(definition);
    await eventually(async () => handled.length === 40 || null, { timeoutMs: 15_000 });
    await sut.stop();
    expect(await keyedCount()).toBe(20);
    expect(await inboxCount(durable)).toBe(0);
    expect(() => new DurableConsumer({ ...definition, parts: 2 }, db.dataSource, nats, silentLogger)).toThrow(/without split or idempotentHandler/);
  });
});
