import { randomUUID } from 'node:crypto';
import { CallStateChanged, EventsIngested, ProfileIdentified, type IngestedEvent, type MessageContract, type MessageOf } from '@boomerang/contracts';
import {
  connectMessaging,
  DurableConsumer,
  MessagingTables1763900000000,
  REPLACES_HEADER,
  streamPrefix,
  type DeadLetter,
  type Messaging,
} from '@boomerang/platform/messaging';
import { createIsolatedSchema, silentLogger, startNatsServer, type IsolatedSchema, type NatsServerProcess } from '@boomerang/platform/testing';
import { bearer, startTestPlatform, type RunningPlatform } from '../../../tools/dev/test-platform.js';

interface Stored {
  stream: string;
  subject: string;
  headers: Record<string, string>;
  text: string;
}

/** What a test consumer saw of the project's ingested events: per delivery handled, its id and event ids. */
interface Handled {
  messageId: string;
  eventIds: string[];
}

const suffix = randomUUID().slice(0, 8);
/** The person erased: every value of theirs that goes in through the ingestion API. */
const PERSON = {
  userId: `erasable-user-${suffix}`,
  anonymousId: `erasable-anon-${suffix}`,
  laterAnonymousId: `erasable-visitor-${suffix}`,
  email: `erase.me.${suffix}@example.org`,
  phone: `+1415${String(Date.now()).slice(-7)}`,
  name: `Zebulon Erasmus ${suffix}`,
  plan: `erasable-plan-${suffix}`,
};
const OTHERS = [
  { userId: `kept-user-a-${suffix}`, email: `kept.a.${suffix}@example.org` },
  { userId: `kept-user-b-${suffix}`, email: `kept.b.${suffix}@example.org` },
];

/**
 * GDPR erasure reaches JetStream: after eraseProfile no copy of the person's data is readable in
 * the platform's streams (events, profiles, voice, dead letters) nor in the bytes of the store on
 * disk, while the other people's events stay, processed once by consumers that had handled the
 * originals and by ones that had not. The platform runs on a nats-server of this test's own, whose
 * store directory it reads.
 */
describe('GDPR erasure in the streams', () => {
  let server: NatsServerProcess;
  let platform: RunningPlatform | undefined;
  let messaging: Messaging;
  let db: IsolatedSchema;
  let projectId: string;
  let secretKey: string;
  const consumers: DurableConsumer<MessageContract>[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    const started = (platform = await startTestPlatform({ NATS_URL: server.url }));
    const created = await started.graphql<{ createProject: { project: { id: string }; secretKey: { key: string } } }>(
      `mutation { createProject(input: { name: "Erasure" }) { project { id } secretKey { key } } }`,
      {},
      bearer(started.adminToken),
    );
    expect(created.errors).toBeUndefined();
    projectId = created.data!.createProject.project.id;
    secretKey = created.data!.createProject.secretKey.key;
    messaging = await connectMessaging({ url: server.url, name: 'erasure-e2e', prefix: started.subjectPrefix });
    db = await createIsolatedSchema('erasuree2e', { entities: [], migrations: [MessagingTables1763900000000] });
  }, 240_000);
  /** Stops everything but the nats-server, once. */
  const stopPlatform = async () => {
    for (const consumer of consumers.splice(0)) await consumer.stop();
    if (messaging && !messaging.nc.isClosed()) await messaging.nc.close();
    const running = platform;
    platform = undefined;
    await running?.stop();
  };
  afterAll(async () => {
    await stopPlatform();
    await db?.drop();
    await server?.cleanup();
  }, 120_000);
  const gateway = () => platform!;

  const eventually = async <T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const asSecret = () => bearer(secretKey);
  const ingest = async (batch: Record<string, unknown>[]) => {
    const response = await fetch(`${gateway().ingestUrl}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}` },
      body: JSON.stringify({ batch }),
    });
    expect(response.status).toBe(200);
  };
  const profileIdOf = (userId: string) =>
    eventually(async () => {
      const found = await gateway().graphql<{ profileByIdentity: { id: string } | null }>(
        `query($v: String!) { profileByIdentity(kind: USER_ID, value: $v) { id } }`,
        { v: userId },
        asSecret(),
      );
      return found.data?.profileByIdentity?.id;
    }, `the profile of ${userId}`);

  /** A consumer of the test's own on a platform stream (its inbox in the test's schema). */
  const startConsumer = async <C extends MessageContract>(durable: string, contract: C, handle: (body: MessageOf<C>, messageId: string) => void) => {
    const consumer = new DurableConsumer(
      { durable, contract, maxDeliveries: 1, handle: async (body, { messageId }) => handle(body, messageId) },
      db.dataSource,
      messaging,
      silentLogger,
    );
    await consumer.start();
    consumers.push(consumer as unknown as DurableConsumer<MessageContract>);
  };
  const recordIngested = (handled: Handled[]) => (body: MessageOf<typeof EventsIngested>, messageId: string) => {
    if (body.projectId === projectId) handled.push({ messageId, eventIds: body.events.map((event) => event.eventId) });
  };
  const settled = (stream: string, durable: string) =>
    eventually(async () => {
      const info = await messaging.jsm.consumers.info(stream, durable).catch(() => undefined);
      return info !== undefined && info.num_pending === 0 && info.num_ack_pending === 0;
    }, `${durable} caught up`);

  /** Every message each of the platform's streams holds, read through the JetStream API. */
  const everyStoredMessage = async (): Promise<Stored[]> => {
    const found: Stored[] = [];
    for await (const info of messaging.jsm.streams.list()) {
      const stream = info.config.name;
      if (!stream.startsWith(streamPrefix(messaging.subjects))) continue;
      const { state } = await messaging.jsm.streams.info(stream);
      for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
        const message = await messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (!message) continue;
        const headers: Record<string, string> = {};
        for (const [key, [value]] of message.header ?? []) headers[key] = value!;
        found.push({ stream, subject: message.subject, headers, text: message.string() });
      }
    }
    return found;
  };
  const personValues = () => Object.values(PERSON);
  const holdingPerson = (messages: readonly Stored[]) => messages.filter((message) => personValues().some((value) => message.text.includes(value)));

  it("leaves none of the person's data readable in the streams or in the store's files, and the others' events processed once by every consumer", async () => {
    const early: Handled[] = [];
    await startConsumer('erasure-e2e-early', EventsIngested, recordIngested(early));
    // Consumers that give up on what they get: their dead letters carry the person's messages of each domain.
    const refuse = () => {
      throw new Error('refused by the test');
    };
    await startConsumer('erasure-e2e-refusing-events', EventsIngested, (body) => body.events.some((event) => event.userId === PERSON.userId) && refuse());
    await startConsumer('erasure-e2e-refusing-profiles', ProfileIdentified, (body) => body.projectId === projectId && refuse());
    await startConsumer('erasure-e2e-refusing-calls', CallStateChanged, (body) => body.projectId === projectId && refuse());

    // The person's events, mixed in batches with other people's, through the ingestion API.
    const at = (n: number) => new Date(Date.UTC(2026, 0, 5, 10, 0, n)).toISOString();
    await ingest([
      { type: 'track', event: 'Viewed Pricing', anonymousId: PERSON.anonymousId, properties: { plan: PERSON.plan }, timestamp: at(0) },
      { type: 'identify', userId: OTHERS[0]!.userId, traits: { email: OTHERS[0]!.email }, timestamp: at(1) },
      {
        type: 'identify',
        userId: PERSON.userId,
        anonymousId: PERSON.anonymousId,
        traits: { email: PERSON.email, phone: PERSON.phone, name: PERSON.name },
        context: { device: { id: `device-${suffix}` } },
        timestamp: at(2),
      },
      { type: 'track', event: 'Viewed Pricing', userId: OTHERS[1]!.userId, properties: { plan: 'free' }, timestamp: at(3) },
    ]);
    await ingest([
      { type: 'track', event: 'Upgraded', userId: OTHERS[0]!.userId, properties: { plan: 'team' }, timestamp: at(4) },
      { type: 'track', event: 'Upgraded', userId: PERSON.userId, properties: { plan: PERSON.plan }, timestamp: at(5) },
      { type: 'identify', userId: OTHERS[1]!.userId, traits: { email: OTHERS[1]!.email }, timestamp: at(6) },
    ]);
    // A visitor who gives the person's email joins their profile.
    await ingest([{ type: 'identify', anonymousId: PERSON.laterAnonymousId, traits: { email: PERSON.email }, timestamp: at(7) }]);
    await ingest([{ type: 'track', event: 'Opened Settings', userId: PERSON.userId, properties: { plan: PERSON.plan }, timestamp: at(8) }]);

    const personId = await profileIdOf(PERSON.userId);
    const otherId = await profileIdOf(OTHERS[0]!.userId);
    // A call between them (nobody answers: UNREACHABLE); its outcomes come back as events of both.
    await eventually(async () => {
      const placed = await gateway().graphql(
        `mutation($input: PlaceCallInput!) { placeCall(input: $input) { id } }`,
        { input: { callerProfileId: personId, calleeProfileId: otherId, reason: 'About your upgrade' } },
        asSecret(),
      );
      return placed.errors === undefined;
    }, 'the call (both profiles known to voice)');
    await eventually(
      async () => early.some((handled) => handled.eventIds.length > 0) && (await everyStoredMessage()).some((message) => message.text.includes('Call Unreachable')),
      'the call outcomes announced',
    );
    await eventually(
      async () => (await everyStoredMessage()).some((message) => message.stream === messaging.subjects.streamName('profiles') && message.text.includes(PERSON.laterAnonymousId)),
      "the visitor joined to the person's profile",
    );
    // Everything processed: nothing of the person is still on its way into a service while it is erased.
    for (const durable of ['erasure-e2e-early', 'profiles-ingested-events']) await settled(messaging.subjects.streamName('events'), durable);
    await settled(messaging.subjects.streamName('voice'), 'events-call-outcomes');
    const letters = await eventually(async () => {
      const found = (await everyStoredMessage()).filter((message) => message.stream === messaging.subjects.deadLetterStream);
      const consumersOf = new Set(found.map((message) => (JSON.parse(message.text) as DeadLetter).consumer));
      return consumersOf.size === 3 && found;
    }, 'dead letters of every domain');
    expect(holdingPerson(letters).length).toBeGreaterThan(0);

    // Before: the person is readable on the streams and in the store's files (so the checks below can see them).
    expect(holdingPerson(await everyStoredMessage()).length).toBeGreaterThan(3);
    for (const value of personValues()) expect(server.filesContaining(value).length).toBeGreaterThan(0);
    const personEventIds = new Set(
      (await everyStoredMessage())
        .filter((message) => message.stream === messaging.subjects.streamName('events'))
        .flatMap((message) => (JSON.parse(message.text) as MessageOf<typeof EventsIngested>).events)
        .filter((event: IngestedEvent) => event.profileId === personId || event.userId === PERSON.userId || event.anonymousId?.startsWith('erasable-') || event.traits?.email === PERSON.email)
        .map((event) => event.eventId),
    );
    const othersEventIds = early.flatMap((handled) => handled.eventIds).filter((id) => !personEventIds.has(id));
    expect(othersEventIds.length).toBeGreaterThanOrEqual(6);

    const erased = await gateway().graphql<{ eraseProfile: string[] }>(`mutation($id: ID!) { eraseProfile(id: $id) }`, { id: personId }, asSecret());
    expect(erased.errors).toBeUndefined();

    // After: no message of any stream holds the person's values; only ProfileDeleted still names the erased id.
    const left = await eventually(async () => {
      const messages = await everyStoredMessage();
      return holdingPerson(messages).length === 0 && messages.every((message) => !message.text.includes(personId) || message.subject.endsWith('.deleted')) && messages;
    }, "the person's messages erased", 60_000);
    for (const durable of ['events-profile-deleted', 'profiles-stream-erasure', 'voice-profile-deleted']) await settled(messaging.subjects.streamName('profiles'), durable);

    // The others' events are all still on the stream, some in redacted copies of the batches; the
    // announcements of events attached after their ingest (EventsAttached) name none of the person's.
    const eventIdsOf = (messages: Stored[]) => messages.flatMap((message) => (JSON.parse(message.text) as MessageOf<typeof EventsIngested>).events.map((event) => event.eventId));
    const onEventsStream = left.filter((message) => message.stream === messaging.subjects.streamName('events'));
    const ingested = onEventsStream.filter((message) => message.subject.endsWith('.ingested'));
    expect(eventIdsOf(ingested).sort()).toEqual([...othersEventIds].sort());
    for (const id of eventIdsOf(onEventsStream.filter((message) => message.subject.endsWith('.attached')))) expect(othersEventIds).toContain(id);
    expect(ingested.filter((message) => message.headers[REPLACES_HEADER]).length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(left)).toContain(OTHERS[0]!.email);

    // The consumer that had handled the originals skips their copies; one that had not handles each event once.
    await settled(messaging.subjects.streamName('events'), 'erasure-e2e-early');
    const earlyOthers = early.flatMap((handled) => handled.eventIds).filter((id) => !personEventIds.has(id));
    expect(earlyOthers.sort()).toEqual([...othersEventIds].sort());
    const late: Handled[] = [];
    await startConsumer('erasure-e2e-late', EventsIngested, recordIngested(late));
    await settled(messaging.subjects.streamName('events'), 'erasure-e2e-late');
    expect(late.flatMap((handled) => handled.eventIds).sort()).toEqual([...othersEventIds].sort());

    // On disk: secure erase overwrote the bytes; nothing else in the store (indexes, state, consumers) keeps them, also once the server has stopped.
    for (const value of personValues()) expect(server.filesContaining(value)).toEqual([]);
    await stopPlatform();
    await server.stop();
    for (const value of personValues()) expect(server.filesContaining(value)).toEqual([]);
    expect(server.filesContaining(OTHERS[0]!.email).length).toBeGreaterThan(0);
  }, 300_000);
});
