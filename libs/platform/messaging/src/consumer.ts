import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { DataSource, EntityManager } from 'typeorm';
import { validateMessage, type MessageContract, type MessageOf } from '@boomerang/contracts';
import type { Logger } from '@boomerang/platform/observability';
import { ensureDeadLetterStream } from './streams.js';
import type { Messaging } from './nats.js';

const isStreamMissing = (error: unknown): boolean => /stream not found/i.test(String((error as Error)?.message));

export interface MessageContext {
  readonly subject: string;
  readonly projectId: string;
  readonly messageId: string;
  readonly deliveryCount: number;
  /** The transaction the inbox row is written in: write effects through it. */
  readonly manager: EntityManager;
}

export interface DurableConsumerDefinition<C extends MessageContract> {
  /** Durable consumer name, unique per service and purpose (e.g. `segments-profile-events`). */
  readonly durable: string;
  readonly contract: C;
  /** Deliveries before a message is dead-lettered (the first delivery counts). */
  readonly maxDeliveries?: number;
  readonly ackWaitMs?: number;
  /** Delay before each redelivery, by attempt; the last value repeats. */
  readonly retryDelaysMs?: readonly number[];
  handle(body: MessageOf<C>, context: MessageContext): Promise<void>;
}

/** What the dead-letter stream holds for each message a consumer gave up on. */
export interface DeadLetter {
  consumer: string;
  subject: string;
  streamSequence: number;
  deliveries: number;
  error: string;
  payload: string;
  deadLetteredAt: string;
}

/**
 * A durable JetStream pull consumer with explicit ack. Each message is handled inside a
 * database transaction that first records `(consumer, message id)` in the inbox, so a
 * redelivered message that was already processed is acknowledged without running again.
 * A handler that throws gets the message again after a delay; after `maxDeliveries` the
 * message goes to the dead-letter subject and is terminated.
 */
export class DurableConsumer<C extends MessageContract> {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private waiting?: Promise<void>;
  private readonly abort = new AbortController();

  constructor(
    private readonly definition: DurableConsumerDefinition<C>,
    private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly logger: Logger,
  ) {}

  private get maxDeliveries(): number {
    return this.definition.maxDeliveries ?? 5;
  }

  /**
   * Attaches to the stream. A stream that does not exist yet belongs to a service that has not
   * started: the consumer waits for it in the background (with backoff) rather than declaring it.
   */
  async start(): Promise<void> {
    try {
      await this.attach();
    } catch (error) {
      if (!isStreamMissing(error)) throw error;
      this.logger.info({ consumer: this.definition.durable }, 'stream not declared yet; waiting for its owner');
      this.waiting = this.attachWhenStreamExists();
    }
  }

  private async attachWhenStreamExists(): Promise<void> {
    for (let delayMs = 250; !this.abort.signal.aborted; delayMs = Math.min(delayMs * 2, 10_000)) {
      await sleep(delayMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (this.abort.signal.aborted) return;
      try {
        await this.attach();
        this.logger.info({ consumer: this.definition.durable }, 'stream found; consuming');
        return;
      } catch (error) {
        if (!isStreamMissing(error)) this.logger.warn({ err: error, consumer: this.definition.durable }, 'attaching to the stream failed; retrying');
      }
    }
  }

  private async attach(): Promise<void> {
    const { jsm, js, subjects } = this.messaging;
    const stream = subjects.streamName(this.definition.contract.domain);
    await ensureDeadLetterStream(jsm, subjects);
    await jsm.consumers.add(stream, {
      durable_name: this.definition.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects.filter(this.definition.contract),
      ack_wait: nanos(this.definition.ackWaitMs ?? 30_000),
      // Unbounded on the server: the bound is ours, so a crash during the last attempt still
      // ends in the dead-letter stream rather than a silently dropped message.
      max_deliver: -1,
    });
    const consumer = await js.consumers.get(stream, this.definition.durable);
    this.messages = await consumer.consume({ max_messages: 64 });
    this.loop = this.run(this.messages);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.waiting;
    await this.messages?.close();
    await this.loop;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      await this.process(message).catch((error) =>
        this.logger.error({ err: error, consumer: this.definition.durable }, 'message processing failed'),
      );
    }
  }

  private async process(message: JsMsg): Promise<void> {
    const deliveries = message.info.deliveryCount;
    const messageId = message.headers?.get('Nats-Msg-Id') || `seq-${message.info.streamSequence}`;
    try {
      if (deliveries > this.maxDeliveries) throw new Error('delivery bound exceeded before processing');
      const parsed = this.messaging.subjects.parse(message.subject);
      if (!parsed) throw new Error(`subject ${message.subject} does not carry a project`);
      const body = validateMessage(this.definition.contract, message.subject, message.json());
      if ((body as { projectId: string }).projectId !== parsed.projectId) {
        throw new Error(`body project does not match subject project on ${message.subject}`);
      }
      await this.dataSource.transaction(async (manager) => {
        const schema = (this.dataSource.options as { schema: string }).schema;
        const inserted: unknown[] = await manager.query(
          `INSERT INTO "${schema}".inbox (consumer, message_id, project_id) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING 1`,
          [this.definition.durable, messageId, parsed.projectId],
        );
        if (inserted.length === 0) {
          // Processed before and the ack was lost: acknowledge without running again.
          this.logger.debug({ consumer: this.definition.durable, messageId }, 'duplicate delivery skipped');
          return;
        }
        await this.definition.handle(body, {
          subject: message.subject,
          projectId: parsed.projectId,
          messageId,
          deliveryCount: deliveries,
          manager,
        });
      });
      message.ack();
    } catch (error) {
      await this.fail(message, messageId, deliveries, error as Error);
    }
  }

  private async fail(message: JsMsg, messageId: string, deliveries: number, error: Error): Promise<void> {
    const log = { consumer: this.definition.durable, subject: message.subject, messageId, deliveries };
    if (deliveries < this.maxDeliveries) {
      const delays = this.definition.retryDelaysMs ?? [500, 2_000, 10_000];
      this.logger.warn({ ...log, err: error }, 'handler failed; message will be redelivered');
      message.nak(delays[Math.min(deliveries - 1, delays.length - 1)]);
      return;
    }
    const letter: DeadLetter = {
      consumer: this.definition.durable,
      subject: message.subject,
      streamSequence: message.info.streamSequence,
      deliveries,
      error: error.message,
      payload: message.string(),
      deadLetteredAt: new Date().toISOString(),
    };
    try {
      await this.messaging.js.publish(this.messaging.subjects.deadLetterSubject(this.definition.durable), JSON.stringify(letter), {
        msgID: `${this.definition.durable}:${messageId}`,
      });
      message.term(error.message.slice(0, 200));
      this.logger.error({ ...log, err: error }, 'message dead-lettered');
    } catch (publishError) {
      // Leave it unacknowledged: it comes back after ack_wait and is dead-lettered then.
      this.logger.error({ ...log, err: publishError }, 'dead-lettering failed');
    }
  }
}
