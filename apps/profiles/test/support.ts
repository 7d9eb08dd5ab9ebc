import { randomUUID } from 'node:crypto';
import { EventsIngested } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { eventually, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { INGESTED_EVENTS_DURABLE } from '../src/ingestion/ingested-events.consumer.js';

/** Shared set-up of the profiles integration specs. */

export { publishableKeyCaller, secretKeyCaller } from '@boomerang/platform/testing';

/** The profiles subgraph on a throw-away schema and subject prefix. */
export const startProfilesSubgraph = (options: Omit<Parameters<typeof startTestSubgraph>[1], 'service'> = {}) =>
  startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { ...options, service: 'profiles' });

export interface LoggedWarning {
  fields: Record<string, unknown>;
  message: string;
}

/** Records every warning the app logs (still logging it), so tests can check what was and was not said. */
export function recordWarnings(sut: TestSubgraph): LoggedWarning[] {
  const warnings: LoggedWarning[] = [];
  const logger = sut.app.get<Logger>(LOGGER);
  const warn = logger.warn.bind(logger);
  logger.warn = ((fields: Record<string, unknown>, message: string) => {
    warnings.push({ fields, message });
    return warn(fields, message);
  }) as never;
  return warnings;
}

/** One event as the events service publishes it, with its project; `fields` override the defaults. */
/** An ingested event as a server sends it (verified: a secret key), unless `fields` say otherwise. */
export const ingestedEvent = (projectId: string, fields: Record<string, unknown> = {}) => {
  const now = new Date().toISOString();
  return { projectId, occurredAt: now, eventId: randomUUID(), messageId: randomUUID(), profileId: null, name: 'track', timestamp: now, properties: {}, verified: true, ...fields };
};

/** The EventsIngested message body carrying `events` (made by ingestedEvent, all of one project). */
export const ingestedMessage = (...events: ReturnType<typeof ingestedEvent>[]) => ({
  projectId: events[0]!.projectId,
  occurredAt: events[0]!.occurredAt,
  events: events.map(({ projectId: _projectId, occurredAt: _occurredAt, ...event }) => event),
});

/**
 * The events stream the profiles consumer reads, declared by the test as the events service would
 * (the app is up before it exists, so its consumer must wait for it), with what was published to it.
 */
export class IngestedEventsStream {
  private lastSequence = 0;

  private constructor(
    private readonly sut: TestSubgraph,
    readonly name: string,
  ) {}

  static async declare(sut: TestSubgraph, overrides: Partial<ReturnType<typeof domainStreamConfig>> = {}): Promise<IngestedEventsStream> {
    const config = domainStreamConfig(sut.messaging.subjects, 'events');
    await sut.messaging.jsm.streams.add({ ...config, ...overrides });
    return new IngestedEventsStream(sut, config.name);
  }

  /** Publishes the event alone in a message, under the event's message id (the stream's dedupe key). */
  async publish(body: ReturnType<typeof ingestedEvent>) {
    const ack = await this.sut.messaging.js.publish(this.sut.messaging.subjects.subject(EventsIngested, body.projectId), JSON.stringify(ingestedMessage(body)), {
      msgID: body.messageId,
    });
    this.lastSequence = Math.max(this.lastSequence, ack.seq);
    return ack;
  }

  /** Every published event delivered to the profiles consumer; `acknowledged` also waits for their acks. */
  handled({ acknowledged = true } = {}) {
    return eventually(
      async () => {
        const info = await this.sut.messaging.jsm.consumers.info(this.name, INGESTED_EVENTS_DURABLE);
        return info.delivered.stream_seq >= this.lastSequence && info.num_pending === 0 && (!acknowledged || info.num_ack_pending === 0);
      },
      { timeoutMs: 20_000 },
    );
  }
}
