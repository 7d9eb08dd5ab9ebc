import { randomUUID } from 'node:crypto';
import { EventsIngested, type IngestedEvent, type MessageOf } from '@boomerang/contracts';
import {
  applyOwnedStream,
  connectMessaging,
  DurableConsumer,
  MessagingTables1763900000000,
  REPLACES_HEADER,
  StreamEraser,
  type DeadLetter,
  type Messaging,
  type MessageErasure,
  type StoredMessage,
} from '@boomerang/platform/messaging';
import {
  createIsolatedSchema,
  eventually,
  silentLogger,
  startNatsServer,
  uniqueSubjectPrefix,
  type IsolatedSchema,
  type NatsServerProcess,
} from '@boomerang/platform/testing';

type Body = MessageOf<typeof EventsIngested>;

/** One person's distinctive values (what must leave the store) and the events that carry them. */
function person(tag: string) {
  const suffix = randomUUID().slice(0, 8);
  return {
    userId: `${tag}-user-${suffix}`,
    email: `${tag}.${suffix}@erasure.example`,
    phone: `+1555${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
    plan: `${tag}-plan-${suffix}`,
  };
}
type Person = ReturnType<typeof person>;

const identify = (who: Person): IngestedEvent => ({
  eventId: randomUUID(),
  messageId: randomUUID(),
  profileId: null,
  name: 'identify',
  type: 'identify',
  timestamp: new Date().toISOString(),
  properties: {},
  traits: { email: who.email, phone: who.phone },
  userId: who.userId,
  anonymousId: null,
});
const track = (who: Person): IngestedEvent => ({ ...identify(who), eventId: randomUUID(), messageId: randomUUID(), name: 'Upgraded', type: 'track', properties: { plan: who.plan }, traits: undefined });
const values = (who: Person) => [who.userId, who.email, who.phone, who.plan];

/** The erasure the events service asks for, reduced to a user id: the person's events go, a batch keeps the others'. */
const eraseUser = (userId: string) => (message: StoredMessage): MessageErasure => {
  const body = JSON.parse(message.text) as Body;
  const kept = body.events.filter((event) => event.userId !== userId);
  if (kept.length === body.events.length) return 'keep';
  return kept.length === 0 ? 'delete' : { redacted: JSON.stringify({ ...body, events: kept }) };
};

interface Stored {
  seq: number;
  subject: string;
  headers: Record<string, string>;
  text: string;
}

/** StreamEraser against a nats-server of the test's own, whose store files the test reads. */
describe('StreamEraser', () => {
  let server: NatsServerProcess;
  let messaging: Messaging;
  let db: IsolatedSchema;
  const consumers: DurableConsumer<typeof EventsIngested>[] = [];
  /** Every value a test erased: none may be in the store once the server has stopped either. */
  const erasedValues: string[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    messaging = await connectMessaging({ url: server.url, name: 'stream-eraser-spec', prefix: uniqueSubjectPrefix() });
    await applyOwnedStream(messaging.jsm, messaging.subjects, 'events');
    db = await createIsolatedSchema('streameraser', { entities: [], migrations: [MessagingTables1763900000000] });
  });
  const stopConsumers = async () => {
    for (const consumer of consumers.splice(0)) await consumer.stop();
  };
  afterAll(async () => {
    await stopConsumers();
    if (!messaging?.nc.isClosed()) await messaging?.nc.close();
    await db?.drop();
    await server?.cleanup();
  });

  const stream = () => messaging.subjects.streamName('events');
  const publish = async (projectId: string, events: IngestedEvent[], msgID = randomUUID()): Promise<string> => {
    const body: Body = { projectId, occurredAt: new Date().toISOString(), events };
    await messaging.js.publish(messaging.subjects.subject(EventsIngested, projectId), JSON.stringify(body), { msgID });
    return msgID;
  };
  /** Every message the stream holds, through the JetStream API. */
  const stored = async (name: string): Promise<Stored[]> => {
    const { state } = await messaging.jsm.streams.info(name);
    const found: Stored[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const message = await messaging.jsm.streams.getMessage(name, { seq }).catch(() => null);
      if (!message) continue;
      const headers: Record<string, string> = {};
      for (const [key, [value]] of message.header ?? []) headers[key] = value!;
      found.push({ seq, subject: message.subject, headers, text: message.string() });
    }
    return found;
  };
  /** A consumer recording the events it handled, by message id. */
  const recordingConsumer = async (durable: string, handled: { messageId: string; eventIds: string[] }[], fail = false) => {
    const consumer = new DurableConsumer(
      {
        durable,
        contract: EventsIngested,
        maxDeliveries: 1,
        handle: async (body, { messageId }) => {
          if (fail) throw new Error('refused for the test');
          handled.push({ messageId, eventIds: body.events.map((event) => event.eventId) });
        },
      },
      db.dataSource,
      messaging,
      silentLogger,
    );
    await consumer.start();
    consumers.push(consumer);
    return consumer;
  };
  const settled = (durable: string) =>
    eventually(async () => {
      const info = await messaging.jsm.consumers.info(stream(), durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, { timeoutMs: 15_000 });

  it('redacts batches and securely deletes single-person messages, on the stream, in its dead letters and in the store files; consumers handle each copy once', async () => {
    const projectId = randomUUID();
    const erased = person('erased');
    erasedValues.push(...values(erased));
    const [other1, other2, other3] = [person('other'), person('other'), person('other')];
    const early: { messageId: string; eventIds: string[] }[] = [];
    await recordingConsumer(`early-${projectId.slice(0, 8)}`, early);
    const refusing = await recordingConsumer(`refusing-${projectId.slice(0, 8)}`, [], true);

    const batch = [identify(erased), identify(other1), track(erased), track(other2)];
    const batchId = await publish(projectId, batch);
    await publish(projectId, [track(erased)]);
    const untouched = [track(other3)];
    await publish(projectId, untouched);
    await settled(`early-${projectId.slice(0, 8)}`);
    await eventually(async () => (await stored(messaging.subjects.deadLetterStream)).length === 3, { timeoutMs: 15_000 });
    await refusing.stop();
    // The store really holds the person: the checks below would see it.
    for (const value of values(erased)) expect(server.filesContaining(value).length).toBeGreaterThan(0);

    const sut = new StreamEraser(messaging, silentLogger);
    const report = await sut.eraseFromDomain({ domain: 'events', projectIds: [projectId], decide: eraseUser(erased.userId) });
    expect(report).toEqual({ stream: { scanned: 3, deleted: 1, redacted: 1 }, deadLetters: { scanned: 3, deleted: 1, redacted: 1 } });

    const left = await stored(stream());
    const texts = left.map((message) => message.text).join('\n');
    for (const value of values(erased)) expect(texts).not.toContain(value);
    const copy = left.find((message) => message.headers[REPLACES_HEADER]);
    expect(copy?.headers[REPLACES_HEADER]).toBe(batchId);
    expect((JSON.parse(copy!.text) as Body).events.map((event) => event.eventId)).toEqual([batch[1]!.eventId, batch[3]!.eventId]);
    const letters = (await stored(messaging.subjects.deadLetterStream)).map((message) => JSON.parse(message.text) as DeadLetter);
    expect(letters).toHaveLength(2);
    for (const value of values(erased)) expect(JSON.stringify(letters)).not.toContain(value);
    expect(letters.map((letter) => (JSON.parse(letter.payload) as Body).events.length).sort()).toEqual([1, 2]);

    // Secure erase overwrote the bytes: no file of the store (blocks, indexes, state) holds them.
    for (const value of values(erased)) expect(server.filesContaining(value)).toEqual([]);
    // The others' events are still there, in the copy (each value that was published).
    const othersValues = [other1.userId, other1.email, other1.phone, other2.userId, other2.plan, other3.userId, other3.plan];
    await eventually(() => othersValues.every((value) => server.filesContaining(value).length > 0));

    // The consumer that handled the original skips its copy; one that had not handles it once.
    await settled(`early-${projectId.slice(0, 8)}`);
    expect(early.map((handled) => handled.messageId).filter((id) => id === batchId)).toHaveLength(1);
    const late: { messageId: string; eventIds: string[] }[] = [];
    await recordingConsumer(`late-${projectId.slice(0, 8)}`, late);
    await settled(`late-${projectId.slice(0, 8)}`);
    expect(late.flatMap((handled) => handled.eventIds).sort()).toEqual([batch[1]!.eventId, batch[3]!.eventId, untouched[0]!.eventId].sort());
    expect(late.find((handled) => handled.eventIds.includes(batch[1]!.eventId))?.messageId).toBe(batchId);

    // Erasing again finds nothing more.
    expect(await sut.eraseFromDomain({ domain: 'events', projectIds: [projectId], decide: eraseUser(erased.userId) })).toEqual({
      stream: { scanned: 2, deleted: 0, redacted: 0 },
      deadLetters: { scanned: 2, deleted: 0, redacted: 0 },
    });
  });

  it('republishes nothing twice when an erasure is retried after dying between the copy and the delete', async () => {
    const projectId = randomUUID();
    const erased = person('retried');
    erasedValues.push(...values(erased));
    const kept = track(person('kept'));
    const batchId = await publish(projectId, [track(erased), kept]);
    const dying = {
      ...messaging,
      jsm: {
        streams: {
          info: messaging.jsm.streams.info.bind(messaging.jsm.streams),
          deleteMessage: () => Promise.reject(new Error('process died before deleting the original')),
        },
      },
    } as unknown as Messaging;
    const decide = eraseUser(erased.userId);
    await expect(new StreamEraser(dying, silentLogger).eraseFromDomain({ domain: 'events', projectIds: [projectId], decide })).rejects.toThrow(/died/);

    await new StreamEraser(messaging, silentLogger).eraseFromDomain({ domain: 'events', projectIds: [projectId], decide });
    const ours = (await stored(stream())).filter((message) => message.subject === messaging.subjects.subject(EventsIngested, projectId));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.headers[REPLACES_HEADER]).toBe(batchId);
    expect((JSON.parse(ours[0]!.text) as Body).events.map((event) => event.eventId)).toEqual([kept.eventId]);
    for (const value of values(erased)) expect(server.filesContaining(value)).toEqual([]);
  });

  it('scans only the projects asked for, and nothing when they have no messages', async () => {
    const [projectId, other] = [randomUUID(), randomUUID()];
    const erased = person('scoped');
    await publish(other, [track(erased)]);
    const sut = new StreamEraser(messaging, silentLogger);
    const report = await sut.eraseFromDomain({ domain: 'events', projectIds: [projectId], decide: eraseUser(erased.userId) });
    expect(report.stream).toEqual({ scanned: 0, deleted: 0, redacted: 0 });
    expect((await stored(stream())).some((message) => message.text.includes(erased.userId))).toBe(true);
  });

  it('leaves none of it in the store once the server has written its state and stopped', async () => {
    await stopConsumers();
    await messaging.nc.close();
    await server.stop();
    expect(erasedValues.length).toBeGreaterThan(0);
    for (const value of erasedValues) expect(server.filesContaining(value)).toEqual([]);
  });
});
