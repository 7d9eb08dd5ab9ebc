import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventsIngested } from '@boomerang/contracts';
import { applyOwnedStream, DurableConsumer, type DeadLetter, type DurableConsumerDefinition } from '@boomerang/platform/messaging';
import { LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { createTestMessaging, eventually, type TestMessaging, type TestSubgraph } from '@boomerang/platform/testing';
import { IngestedEventsConsumer } from '../src/ingestion/ingested-events.consumer.js';
import { ingestedEvent, ingestedMessage, recordWarnings, startProfilesSubgraph, type LoggedWarning } from './support.js';

/**
 * The profiles consumer's batch path, driven deterministically: messages are put on a stream of
 * their own (another subject prefix per test, so the app's own consumer never sees them) before a
 * DurableConsumer with the app's definition starts, so they arrive together as one batch.
 */
describe('profiles: ingested events handled in batches', () => {
  let sut: TestSubgraph;
  let stream: TestMessaging;
  let dataSource: DataSource;
  let warnings: LoggedWarning[];

  beforeAll(async () => {
    sut = await startProfilesSubgraph();
    dataSource = sut.app.get(DataSource);
    warnings = recordWarnings(sut);
  });
  afterAll(() => sut?.close());
  // Each test has a stream (and dead-letter stream) of its own: consumers read a stream from its start.
  beforeEach(async () => {
    stream = await createTestMessaging();
    await applyOwnedStream(stream.jsm, stream.subjects, 'events');
  });
  afterEach(() => stream?.cleanup());

  const event = (projectId: string, fields: Record<string, unknown>) => ingestedEvent(projectId, { name: 'e', ...fields });
  const publishAll = async (events: ReturnType<typeof event>[]) => {
    for (const body of events) {
      await stream.js.publish(stream.subjects.subject(EventsIngested, body.projectId), JSON.stringify(ingestedMessage(body)), { msgID: body.messageId });
    }
  };
  const consumer = async (overrides: Partial<DurableConsumerDefinition<typeof EventsIngested>>) => {
    const durable = `batch-test-${randomUUID().slice(0, 8)}`;
    const { definition } = sut.app.get(IngestedEventsConsumer);
    const started = new DurableConsumer({ ...definition, durable, ...overrides }, dataSource, stream, sut.app.get<Logger>(LOGGER));
    await started.start();
    return { durable, consumer: started };
  };
  const drained = (durable: string, count: number) =>
    eventually(
      async () => {
        const info = await stream.jsm.consumers.info(stream.subjects.streamName('events'), durable);
        return info.delivered.stream_seq >= count && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeoutMs: 20_000 },
    );
  const profileOf = async (projectId: string, kind: string, value: string) => {
    const [row] = (await dataSource.query(
      `SELECT p.id, p.properties, p.anonymous_id FROM profile_identity i JOIN profile p ON p.id = i.profile_id
       WHERE i.project_id = $1 AND i.kind = $2 AND i.value = $3`,
      [projectId, kind, value],
    )) as { id: string; properties: Record<string, unknown>; anonymous_id: string | null }[];
    return row;
  };
  const deadLetters = async (durable: string): Promise<DeadLetter[]> => {
    const info = await stream.jsm.streams.info(stream.subjects.deadLetterStream).catch(() => undefined);
    const letters: DeadLetter[] = [];
    for (let seq = info?.state.first_seq ?? 1; info && seq <= info.state.last_seq; seq++) {
      const letter = (await stream.jsm.streams.getMessage(stream.subjects.deadLetterStream, { seq }))!.json<DeadLetter>();
      if (letter.consumer === durable) letters.push(letter);
    }
    return letters;
  };

  it('applies a mixed batch in order; a failing message is retried alone and dead-lettered, a refused one changes nothing', async () => {
    const project = randomUUID();
    // user-a and user-b are created by the batch itself, before the event that would join them.
    const before = [
      event(project, { type: 'identify', userId: 'user-a', anonymousId: 'anon-a', traits: { visits: { $incr: 1 } } }),
      event(project, { type: 'identify', userId: 'user-b', anonymousId: 'anon-b' }),
    ];
    const poison = event(project, { type: 'identify', userId: 'user-c', traits: { note: 'nul \u0000 byte' } });
    const refused = event(project, { type: 'track', userId: 'user-a', anonymousId: 'anon-b' });
    const batch = [
      ...before,
      event(project, { type: 'track', userId: 'user-a', anonymousId: 'anon-a2' }),
      event(project, { type: 'identify', userId: 'user-a', traits: { visits: { $incr: 2 }, plan: 'pro', tags: { $add: ['x'] } } }),
      event(project, { type: 'track', anonymousId: 'anon-new' }),
      poison,
      refused,
      event(project, { type: 'identify', anonymousId: 'anon-new', traits: { visits: { $incr: 5 } } }),
      event(project, { type: 'identify', userId: 'user-a', traits: { visits: { $incr: 3 }, tags: { $add: ['y'] }, 'MSG-email': false } }),
      event(project, { type: 'alias', userId: 'user-d', previousId: 'anon-new' }),
    ];
    const batchSizes: number[] = [];
    const { definition } = sut.app.get(IngestedEventsConsumer);
    await publishAll(batch);
    // Bounded retries kept short.
    const first = await consumer({
      maxDeliveries: 2,
      retryDelaysMs: [50],
      // Each message here carries one event; the app's own limit counts messages of hundreds.
      maxBatchSize: batch.length,
      handleBatch: (messages, manager) => {
        batchSizes.push(messages.length);
        return definition.handleBatch!(messages, manager);
      },
    });
    await eventually(async () => (await deadLetters(first.durable)).length === 1, { timeoutMs: 20_000 });
    await drained(first.durable, batch.length);
    await first.consumer.stop();

    // Messages came in batches (a pull's messages may arrive in more than one socket read, so the
    // first batch can be cut short); the one holding the poison message failed, then went one by one.
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    const [letter] = await deadLetters(first.durable);
    expect(JSON.parse(letter!.payload).events[0].messageId).toBe(poison.messageId);
    const userA = await profileOf(project, 'user_id', 'user-a');
    expect(userA!.properties).toEqual({ visits: 6, plan: 'pro', tags: ['x', 'y'] });
    expect((await profileOf(project, 'anonymous_id', 'anon-a2'))!.id).toBe(userA!.id);
    // Refused: anon-b stays with user-b, nothing joined.
    expect((await profileOf(project, 'anonymous_id', 'anon-b'))!.id).toBe((await profileOf(project, 'user_id', 'user-b'))!.id);
    expect(warnings.some((w) => w.fields.messageId === refused.messageId && /refused/.test(w.message))).toBe(true);
    // The anonymous visitor was created in the batch, got traits, and its alias made it user-d's.
    const visitor = await profileOf(project, 'user_id', 'user-d');
    expect(visitor).toMatchObject({ properties: { visits: 5 }, anonymous_id: 'anon-new' });
    expect(await profileOf(project, 'user_id', 'user-c')).toBeUndefined();
    const [{ handled }] = await dataSource.query(`SELECT count(*)::int AS handled FROM inbox WHERE consumer = $1`, [first.durable]);
    expect(handled).toBe(9);
  });

  it("refuses an identify whose email belongs to another user's profile, alone in its batch", async () => {
    const project = randomUUID();
    const refused = event(project, { type: 'identify', userId: 'user-b', anonymousId: 'anon-b', traits: { email: 'KIM@example.com', plan: 'refused' } });
    const batch = [
      event(project, { type: 'identify', userId: 'user-a', anonymousId: 'anon-a', traits: { email: 'Kim@Example.com' } }),
      event(project, { type: 'track', anonymousId: 'anon-b' }),
      refused,
      event(project, { type: 'identify', anonymousId: 'anon-b', traits: { plan: 'free' } }),
    ];
    await publishAll(batch);
    const { durable, consumer: started } = await consumer({ maxBatchSize: batch.length });
    await drained(durable, batch.length);
    await started.stop();

    expect(warnings.some((w) => w.fields.messageId === refused.messageId && w.fields.reason === 'IDENTITY_CONFLICT')).toBe(true);
    const userA = (await profileOf(project, 'user_id', 'user-a'))!;
    expect((await profileOf(project, 'email', 'kim@example.com'))!.id).toBe(userA.id);
    // The anonymous visitor stays anonymous and apart; the event after the refused one applied.
    expect(await profileOf(project, 'user_id', 'user-b')).toBeUndefined();
    const visitor = (await profileOf(project, 'anonymous_id', 'anon-b'))!;
    expect(visitor.id).not.toBe(userA.id);
    expect(visitor.properties).toEqual({ plan: 'free' });
    const [{ merged }] = await dataSource.query(`SELECT count(*)::int AS merged FROM profile WHERE project_id = $1 AND merged_into IS NOT NULL`, [project]);
    expect(merged).toBe(0);
  });

  it('does not apply $incr twice when a batch is redelivered after a crash, before or after its commit', async () => {
    const project = randomUUID();
    const events = Array.from({ length: 6 }, (_, n) =>
      event(project, { type: 'identify', userId: `user-${n % 2}`, anonymousId: `anon-${n}`, traits: { visits: { $incr: 1 } } }),
    );
    await publishAll(events);
    const { definition } = sut.app.get(IngestedEventsConsumer);
    const durable = `batch-test-${randomUUID().slice(0, 8)}`;
    const logger = sut.app.get<Logger>(LOGGER);
    // The first process's own connection to NATS: losing it loses every ack it sends from then on.
    const doomed = await createTestMessaging(stream.prefix);
    let calls = 0;
    const first = new DurableConsumer(
      {
        ...definition,
        durable,
        ackWaitMs: 600,
        handleBatch: async (messages, manager) => {
          calls++;
          await definition.handleBatch!(messages, manager);
          // First attempt: the process "dies" after the writes, before commit (the transaction rolls back).
          if (calls === 1) throw new Error('process died before commit');
        },
        handle: async (body, context) => {
          await definition.handle(body, context);
          // The retry commits, but the process has lost NATS: its ack never arrives, and the server redelivers after ack_wait.
          if (body.events[0]!.messageId === events[0]!.messageId) await doomed.nc.close();
        },
      },
      dataSource,
      doomed,
      logger,
    );
    await first.start();
    await eventually(() => doomed.nc.isClosed());
    // The next process takes over the durable.
    const second = new DurableConsumer({ ...definition, durable, ackWaitMs: 600 }, dataSource, stream, logger);
    await second.start();
    await drained(durable, events.length);
    await eventually(async () => {
      const info = await stream.jsm.consumers.info(stream.subjects.streamName('events'), durable);
      // Redeliveries count as deliveries: more deliveries than messages means the lost ack was redelivered.
      return info.delivered.consumer_seq > events.length && info.num_ack_pending === 0;
    });
    await first.stop();
    await second.stop();
    expect(calls).toBe(1);
    expect((await profileOf(project, 'user_id', 'user-0'))!.properties).toEqual({ visits: 3 });
    expect((await profileOf(project, 'user_id', 'user-1'))!.properties).toEqual({ visits: 3 });
  });
});
