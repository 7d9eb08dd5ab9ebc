import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventsIngested, type ProfileSnapshot, type ResolveApiKeyReply } from '@boomerang/contracts';
import type { Messaging } from '@boomerang/platform/messaging';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import { eventually, serveTestIngestPolicies, serveTestKeys, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestHttpServer } from '../src/ingestion/http/ingest-http.server.js';

/** Shared set-up of the events integration specs. */

export { publishableKeyCaller, secretKeyCaller } from '@boomerang/platform/testing';

/** The events subgraph on a throw-away schema and subject prefix; its ingestion API on a port the OS picks (a fixed one collides with parallel runs). */
export const startEventsSubgraph = async (): Promise<EventsSubgraph> => {
  process.env.INGEST_PORT = '0';
  const sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'events' });
  return Object.assign(sut, { verificationRequired: serveTestIngestPolicies(sut.messaging) });
};

export interface EventsSubgraph extends TestSubgraph {
  /** Projects whose workspace policy requires user tokens (GetIngestPolicy); the others require none. */
  verificationRequired: Set<string>;
}

/** A command for IngestEvents: a track of "Viewed" now, under a new messageId; `fields` override the defaults. */
export const ingestCommand = (fields: Partial<IngestEventCommand> = {}): IngestEventCommand => ({
  messageId: randomUUID(),
  type: 'track',
  name: 'Viewed',
  profileId: null,
  userId: null,
  anonymousId: null,
  properties: {},
  traits: null,
  previousId: null,
  context: null,
  timestamp: new Date(),
  sentAt: null,
  receivedAt: new Date(),
  ...fields,
});

/** Two projects and the keys the ingestion specs send: a publishable and a secret key of `project`, a publishable key of `other`. */
export interface IngestCredentials {
  project: string;
  other: string;
  pk: string;
  sk: string;
  pkOther: string;
}

export const ingestCredentials = (): IngestCredentials => ({
  project: randomUUID(),
  other: randomUUID(),
  pk: `pk_${randomUUID()}`,
  sk: `sk_${randomUUID()}`,
  pkOther: `pk_${randomUUID()}`,
});

export interface IngestSubgraph {
  sut: EventsSubgraph;
  /** Where the ingestion API (its own HTTP server, on a port the OS picked) listens. */
  baseUrl: string;
  db: DataSource;
  /** Workspace's answers to key look-ups: the credentials' keys, and `pk_revoked` refused. */
  keys: Map<string, ResolveApiKeyReply>;
}

/** The events subgraph with its ingestion API up and workspace answering for the credentials' keys; stop it with stopIngestSubgraph. */
export async function startIngestSubgraph({ project, other, pk, sk, pkOther }: IngestCredentials): Promise<IngestSubgraph> {
  const sut = await startEventsSubgraph();
  const keys = serveTestKeys(sut.messaging);
  keys.set(pk, { ok: true, projectId: project, keyId: randomUUID(), scope: 'publishable' });
  keys.set(sk, { ok: true, projectId: project, keyId: randomUUID(), scope: 'secret' });
  keys.set(pkOther, { ok: true, projectId: other, keyId: randomUUID(), scope: 'publishable' });
  keys.set('pk_revoked', { ok: false, reason: 'revoked' });
  return { sut, keys, baseUrl: `http://127.0.0.1:${sut.app.get(IngestHttpServer).port}`, db: sut.app.get(DataSource) };
}

export async function stopIngestSubgraph(sut: TestSubgraph | undefined): Promise<void> {
  await sut?.close();
  delete process.env.INGEST_PORT;
}

/** Every event published for the project (EventsIngested messages flattened, each event with its projectId), after flushing the outbox. */
export async function publishedEvents(sut: TestSubgraph, projectId: string): Promise<Record<string, unknown>[]> {
  await sut.flushOutbox();
  return readPublishedEvents(sut.messaging, projectId);
}

/** The events of every EventsIngested message on the stream for the project, in stream order. */
export async function readPublishedEvents(messaging: Pick<Messaging, 'js' | 'jsm' | 'subjects'>, projectId: string): Promise<Record<string, unknown>[]> {
  const stream = messaging.subjects.streamName('events');
  const subject = messaging.subjects.subject(EventsIngested, projectId);
  const info = await messaging.jsm.streams.info(stream, { subjects_filter: subject });
  const count = (info.state.subjects as Record<string, number> | undefined)?.[subject] ?? 0;
  const events: Record<string, unknown>[] = [];
  if (count === 0) return events;
  const consumer = await messaging.js.consumers.get(stream, { filter_subjects: subject });
  let received = 0;
  for await (const message of await consumer.fetch({ max_messages: count, expires: 2000 })) {
    const body = message.json<{ projectId: string; events: Record<string, unknown>[] }>();
    events.push(...body.events.map((event) => ({ projectId: body.projectId, ...event })));
    if (++received === count) break;
  }
  return events;
}

/** Resolves once every durable consumer of the EVENTS and PROFILES streams (those that exist) has handled all that was published, the outbox flushed first. */
export async function consumersSettled(sut: TestSubgraph, timeoutMs = 20_000): Promise<void> {
  await sut.flushOutbox();
  const subscriptions = sut.app.get(MessagingLifecycle).subscriptions();
  await eventually(
    async () => {
      for (const domain of ['events', 'profiles'] as const) {
        const stream = sut.messaging.subjects.streamName(domain);
        if (!(await sut.messaging.jsm.streams.info(stream).catch(() => null))) continue;
        // A stream declared after the app started is attached to with backoff: a durable not on it yet has read nothing.
        const attached = new Set<string>();
        for await (const info of sut.messaging.jsm.consumers.list(stream)) {
          if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
          attached.add(info.name);
        }
        if (subscriptions.some((subscription) => subscription.domain === domain && !attached.has(subscription.durable))) return false;
      }
      return true;
    },
    { timeoutMs },
  );
}

/** A profile as profiles' ProfileChanged and ListProfileSnapshots carry it: these custom properties, nothing else known. */
export const profileSnapshot = (profileId: string, properties: Record<string, unknown>, updatedAt = new Date()): ProfileSnapshot => ({
  profileId,
  externalId: null,
  properties,
  attributes: {
    email: null,
    phone: null,
    name: null,
    timeZone: null,
    locale: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    emailSubscribed: null,
    smsSubscribed: null,
    pushSubscribed: null,
    whatsappSubscribed: null,
    phoneDnd: null,
  },
  contact: { email: null, phone: null },
  updatedAt: updatedAt.toISOString(),
});
