import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, DeliverPolicy, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { DataSource, EntityManager } from 'typeorm';
import { validateMessage, type MessageContract, type MessageOf } from '@boomerang/contracts';
import type { Logger } from '@boomerang/platform/observability';
import { messageIdOf as storedMessageIdOf } from './message-ids.js';
import { ensureDeadLetterStream, isStreamMissing } from './streams.js';
import type { Messaging } from './nats.js';
import { schemaOf } from './service-schema.js';

/** How long a long-running consumer's pull waits for messages. */
const PULL_EXPIRES_MS = 2_000;
/**
 * How long each pull of a consuming loop lasts. The server sends heartbeats at half of it, and a
 * pull lost with a consumer leader that died is re-issued after two missed ones (to the new leader).
 */
const CONSUME_EXPIRES_MS = 10_000;

/** The inbox key: a redacted copy (StreamEraser) is known by the id of the message it replaces. */
const messageIdOf = (message: JsMsg): string => storedMessageIdOf(message.headers, message.info.streamSequence);

export interface MessageContext {
  readonly subject: string;
  readonly projectId: string;
  readonly messageId: string;
  readonly deliveryCount: number;
  /** The transaction the inbox row is written in: write effects through it. */
  readonly manager: EntityManager;
  /** With `parts`: the share of the message to handle (every part of a message is handled once, in some order). */
  readonly part?: BatchPart;
}

/** One of the `count` shares a partitioned consumer (`parts`) handles of each message; `index` from 0. */
export interface BatchPart {
  readonly index: number;
  readonly count: number;
}

/** Most parts a consumer may split its batches into (part markers of another count are looked up among these). */
export const MAX_BATCH_PARTS = 8;

export interface DurableConsumerDefinition<C extends MessageContract> {
  /** Durable consumer name, unique per service and purpose (e.g. `segments-profile-events`). */
  readonly durable: string;
  readonly contract: C;
  /** Deliveries before a message is dead-lettered (the first delivery counts). */
  readonly maxDeliveries?: number;
  /** JetStream's ack wait (default 30 s): a message not acknowledged within it is delivered again. */
  readonly ackWaitMs?: number;
  /**
   * The handler may run for long (e.g. it scans a stream): messages are pulled only when the
   * previous ones are done, so none waits fetched behind a slow handler (where it could be delivered
   * again, counting toward the bound). Every consumer reports the messages it handles in progress.
   */
  readonly longRunning?: boolean;
  /** Delay before each redelivery, by attempt; the last value repeats. */
  readonly retryDelaysMs?: readonly number[];
  handle(body: MessageOf<C>, context: MessageContext): Promise<void>;
  /**
   * Optional: handles the messages fetched together (validated, in stream order, duplicates
   * already filtered out) in ONE transaction whose inbox rows for all of them are written in
   * one statement. When that transaction fails, each message is handled again alone through
   * `handle`, so one bad message is retried and dead-lettered without holding back the others.
   */
  handleBatch?(messages: readonly BatchMessage<C>[], manager: EntityManager, part?: BatchPart): Promise<void>;
  /** Most messages per `handleBatch` call (default 100). */
  readonly maxBatchSize?: number;
  /**
   * Optional, with `handleBatch`, for work bound by one database backend per transaction: each batch
   * is handled as `parts` transactions running at once, each given all of the batch's messages and
   * its `BatchPart` (the handler takes only its share of each message: shares must not overlap and
   * must add up to the message). Each part's transaction records its own inbox row per message
   * (`durable#index/count`), so a part that committed is not handled again when another failed;
   * the messages' own rows then commit in the batch's transaction, which drops the part rows. A
   * failed batch falls back to one transaction per message handling its parts not yet done through
   * `handle` (with `context.part`). A message redelivered with part rows of another count is
   * finished with that count. At most MAX_BATCH_PARTS; not combined with `split`. The pool needs
   * `parts` + 1 connections per batch.
   */
  readonly parts?: number;
  /**
   * Optional, for a message that carries many items (e.g. ingested events): the bodies it splits
   * into, one per item. On a message's last delivery its parts are handled one by one through
   * `handle`, each in a savepoint of the message's transaction; only the parts that fail are
   * dead-lettered (each on its own), and the others commit, instead of the whole message going.
   */
  split?(body: MessageOf<C>): MessageOf<C>[];
  /**
   * Optional: the handler's writes are keyed by the message's own key (an insert of the command
   * under its idempotency key, ON CONFLICT DO NOTHING), so handling a message again changes
   * nothing. No inbox row is written for it: one insert and index entry less per message on a hot
   * path. Copies of a message within one batch are still handled once. Not combined with `parts`.
   */
  readonly idempotentHandler?: boolean;
}

/** One message of a batch: its body and everything `MessageContext` has but the transaction. */
export interface BatchMessage<C extends MessageContract> extends Omit<MessageContext, 'manager'> {
  readonly body: MessageOf<C>;
}

/** A received message that passed validation. */
interface ValidMessage<C extends MessageContract> extends BatchMessage<C> {
  readonly raw: JsMsg;
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
 *
 * The messages being handled are reported in progress until they settle, so a handler slower than
 * ack wait does not have them delivered again (deliveries count attempts toward the bound).
 *
 * With `handleBatch`, the messages that have already arrived (up to `maxBatchSize`) are handled
 * together in one transaction and acknowledged after its commit; a failed batch falls back to
 * `handle` per message (its own transaction, retries and dead-lettering as above). With `split`,
 * a message failing on its last delivery is handled part by part, and only its failing parts are
 * dead-lettered.
 */
export class DurableConsumer<C extends MessageContract> {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private waiting?: Promise<void>;
  private readonly abort = new AbortController();
  /** The messages taken to be handled and not yet settled: reported in progress every third of ack wait. */
  private readonly held = new Set<JsMsg>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly definition: DurableConsumerDefinition<C>,
    private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly logger: Logger,
  ) {
    const { parts } = definition;
    if (parts !== undefined && (!Number.isInteger(parts) || parts < 1 || parts > MAX_BATCH_PARTS || !definition.handleBatch || definition.split || definition.idempotentHandler)) {
      throw new Error(`consumer ${definition.durable}: parts must be an integer from 1 to ${MAX_BATCH_PARTS}, with handleBatch and without split or idempotentHandler`);
    }
  }

  /** The durable's name and the domain whose stream it reads. */
  get subscription(): { durable: string; domain: string } {
    return { durable: this.definition.durable, domain: this.definition.contract.domain };
  }

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
    await ensureDeadLetterStream(jsm, subjects, this.messaging.streamReplicas);
    await jsm.consumers.add(stream, {
      durable_name: this.definition.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects.filter(this.definition.contract),
      ack_wait: nanos(this.ackWaitMs),
      // Unbounded on the server: the bound is ours, so a crash during the last attempt still
      // ends in the dead-letter stream rather than a silently dropped message.
      max_deliver: -1,
    });
    const consumer = await js.consumers.get(stream, this.definition.durable);
    this.heartbeat = setInterval(() => {
      try {
        for (const message of this.held) message.working();
      } catch (error) {
        // The connection is closed or closing: what is held comes back after ack wait, to whichever instance pulls it.
        this.logger.warn({ err: error, consumer: this.definition.durable }, 'reporting messages in progress failed');
      }
    }, this.ackWaitMs / 3);
    this.heartbeat.unref();
    if (this.definition.longRunning) {
      this.loop = this.runOnDemand(consumer);
      return;
    }
    // A batch consumer keeps two batches buffered, so the next one is ready when one commits.
    this.messages = await consumer.consume({ max_messages: this.definition.handleBatch ? this.maxBatchSize * 2 : 64, expires: CONSUME_EXPIRES_MS });
    this.loop = this.definition.handleBatch ? this.runBatches(this.messages) : this.run(this.messages);
  }

  /** Long-running handlers: pulls what is there (a batch at most) only once the previous pull is handled. */
  private async runOnDemand(consumer: Consumer): Promise<void> {
    while (!this.abort.signal.aborted) {
      const pulled: JsMsg[] = [];
      try {
        this.messages = await consumer.fetch({ max_messages: this.definition.handleBatch ? this.maxBatchSize : 1, expires: PULL_EXPIRES_MS });
        for await (const message of this.messages) pulled.push(message);
      } catch (error) {
        if (this.abort.signal.aborted) break;
        this.logger.warn({ err: error, consumer: this.definition.durable }, 'pulling messages failed; retrying');
        await sleep(1_000, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
      // Stopping: what was pulled is redelivered after ack wait.
      if (pulled.length === 0 || this.abort.signal.aborted) continue;
      if (this.definition.handleBatch) {
        await this.holding(pulled, () => this.processBatch(pulled)).catch((error) => this.logger.error({ err: error, consumer: this.definition.durable }, 'batch processing failed'));
      } else {
        await this.holding(pulled, async () => {
          for (const message of pulled) {
            await this.process(message).catch((error) => this.logger.error({ err: error, consumer: this.definition.durable }, 'message processing failed'));
            this.held.delete(message);
          }
        });
      }
    }
  }

  private get maxBatchSize(): number {
    return this.definition.maxBatchSize ?? 100;
  }

  private get ackWaitMs(): number {
    return this.definition.ackWaitMs ?? 30_000;
  }

  /**
   * Runs `work` on `messages`, reporting them in progress until it settles (with the heartbeat every
   * third of ack wait): a batch slower than ack wait (a lock wait, a loaded machine) is not delivered
   * again meanwhile, which would count toward the bound without a failure.
   */
  private async holding<T>(messages: readonly JsMsg[], work: () => Promise<T>): Promise<T> {
    for (const message of messages) this.held.add(message);
    try {
      return await work();
    } finally {
      for (const message of messages) this.held.delete(message);
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.waiting;
    // A connection already closed has nothing left to close.
    await this.messages?.close().catch(() => undefined);
    await this.loop;
    clearInterval(this.heartbeat);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      await this.holding([message], () => this.process(message)).catch((error) =>
        this.logger.error({ err: error, consumer: this.definition.durable }, 'message processing failed'),
      );
    }
  }

  /** Takes what has already arrived (up to the batch size) without waiting for more. */
  private async runBatches(messages: ConsumerMessages): Promise<void> {
    const iterator = messages[Symbol.asyncIterator]();
    // A `next()` that did not resolve in time is kept: it carries the first message of the next batch.
    let waiting: Promise<IteratorResult<JsMsg>> | undefined;
    const next = () => (waiting ??= iterator.next());
    for (;;) {
      const first = await next();
      waiting = undefined;
      if (first.done) return;
      const batch: JsMsg[] = [first.value];
      let done = false;
      while (batch.length < this.maxBatchSize) {
        // Buffered messages resolve within microtasks; setImmediate fires only once none is left.
        const more = await Promise.race([next(), new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
        if (!more) break;
        waiting = undefined;
        if (more.done) {
          done = true;
          break;
        }
        batch.push(more.value);
      }
      await this.holding(batch, () => this.processBatch(batch)).catch((error) =>
        this.logger.error({ err: error, consumer: this.definition.durable }, 'batch processing failed'),
      );
      if (done) return;
    }
  }

  private async processBatch(batch: readonly JsMsg[]): Promise<void> {
    let valid: ValidMessage<C>[] = [];
    for (const message of batch) {
      const checked = await this.validOrFailed(message);
      if (checked) valid.push(checked);
    }
    if (this.parts > 1) {
      // Parts done under another count (a redelivery after a change of `parts`) are finished with that count, alone.
      const done = await this.partsDone(this.dataSource.manager, valid.filter((message) => message.deliveryCount > 1));
      const otherCount = valid.filter((message) => (done.get(message.messageId)?.count ?? this.parts) !== this.parts);
      for (const message of otherCount) await this.handleOne(message);
      valid = valid.filter((message) => !otherCount.includes(message));
    }
    if (valid.length === 0) return;
    try {
      await this.dataSource.transaction(async (manager) => {
        const fresh = await this.claim(manager, valid);
        if (fresh.length === 0) return;
        if (this.parts > 1) await this.handleParts(manager, fresh);
        else await this.definition.handleBatch!(fresh.map(({ raw: _raw, ...message }) => message), manager);
      });
    } catch (error) {
      this.logger.warn(
        { err: error, consumer: this.definition.durable, messages: valid.length },
        'batch failed; handling its messages one by one',
      );
      for (const message of valid) await this.handleOne(message);
      return;
    }
    for (const { raw } of valid) raw.ack();
  }

  private get parts(): number {
    return this.definition.parts ?? 1;
  }

  /**
   * The batch's parts, each in its own transaction, all at once; the batch's transaction (`manager`,
   * holding the messages' own inbox rows and no other lock, so no part ever waits for it) commits
   * after all of them and drops their part rows. Every part settles before a failure is rethrown,
   * so the fallback never runs beside a part still in flight.
   */
  private async handleParts(manager: EntityManager, messages: readonly ValidMessage<C>[]): Promise<void> {
    const count = this.parts;
    const outcomes = await Promise.allSettled(
      Array.from({ length: count }, (_, index) =>
        this.dataSource.transaction(async (partManager) => {
          const part = { index, count };
          const fresh = await this.claim(partManager, messages, partConsumer(this.definition.durable, part));
          if (fresh.length > 0) await this.definition.handleBatch!(fresh.map(({ raw: _raw, ...message }) => message), partManager, part);
        }),
      ),
    );
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    await this.dropPartRows(manager, messages, count);
  }

  /** For messages with part rows: the part count they were handled with and the parts done. */
  private async partsDone(manager: EntityManager, messages: readonly ValidMessage<C>[]): Promise<Map<string, { count: number; done: Set<number> }>> {
    const found = new Map<string, { count: number; done: Set<number> }>();
    if (messages.length === 0) return found;
    const byName = new Map<string, BatchPart>();
    for (let count = 2; count <= MAX_BATCH_PARTS; count++) {
      for (let index = 0; index < count; index++) byName.set(partConsumer(this.definition.durable, { index, count }), { index, count });
    }
    const rows = (await manager.query(`SELECT consumer, message_id FROM "${this.schema}".inbox WHERE consumer = ANY($1::text[]) AND message_id = ANY($2::text[])`, [
      [...byName.keys()],
      messages.map((message) => message.messageId),
    ])) as { consumer: string; message_id: string }[];
    for (const row of rows) {
      const part = byName.get(row.consumer)!;
      const entry = found.get(row.message_id) ?? { count: part.count, done: new Set<number>() };
      entry.done.add(part.index);
      found.set(row.message_id, entry);
    }
    return found;
  }

  /** Once the messages' own inbox rows are written, their part rows say nothing more. */
  private async dropPartRows(manager: EntityManager, messages: readonly ValidMessage<C>[], count: number): Promise<void> {
    await manager.query(`DELETE FROM "${this.schema}".inbox WHERE consumer = ANY($1::text[]) AND message_id = ANY($2::text[])`, [
      Array.from({ length: count }, (_, index) => partConsumer(this.definition.durable, { index, count })),
      messages.map((message) => message.messageId),
    ]);
  }

  /**
   * Writes the inbox rows of `messages` (as `consumer`, default the durable) in one statement; returns the messages not processed before
   * (with `idempotentHandler`: every message once, nothing written).
   */
  private async claim(manager: EntityManager, messages: readonly ValidMessage<C>[], consumer = this.definition.durable): Promise<ValidMessage<C>[]> {
    if (this.definition.idempotentHandler) {
      const seen = new Set<string>();
      return messages.filter((message) => !seen.has(message.messageId) && seen.add(message.messageId));
    }
    const inserted = (await manager.query(
      `INSERT INTO "${this.schema}".inbox (consumer, message_id, project_id)
       SELECT $1, message_id, project_id FROM unnest($2::text[], $3::uuid[]) AS claim (message_id, project_id)
       ON CONFLICT DO NOTHING RETURNING message_id`,
      [consumer, messages.map((message) => message.messageId), messages.map((message) => message.projectId)],
    )) as { message_id: string }[];
    const claimed = new Set(inserted.map((row) => row.message_id));
    const fresh: ValidMessage<C>[] = [];
    for (const message of messages) {
      // Each claimed id once: a second copy in the same batch is a duplicate like any other.
      if (claimed.delete(message.messageId)) fresh.push(message);
      else this.logger.debug({ consumer: this.definition.durable, messageId: message.messageId }, 'duplicate delivery skipped');
    }
    return fresh;
  }

  private get schema(): string {
    return schemaOf(this.dataSource);
  }

  private validate(message: JsMsg): ValidMessage<C> {
    const deliveries = message.info.deliveryCount;
    if (deliveries > this.maxDeliveries) throw new Error('delivery bound exceeded before processing');
    const parsed = this.messaging.subjects.parse(message.subject);
    if (!parsed) throw new Error(`subject ${message.subject} does not carry a project`);
    const body = validateMessage(this.definition.contract, message.subject, message.json());
    if ((body as { projectId: string }).projectId !== parsed.projectId) {
      throw new Error(`body project does not match subject project on ${message.subject}`);
    }
    return { raw: message, body, subject: message.subject, projectId: parsed.projectId, messageId: messageIdOf(message), deliveryCount: deliveries };
  }

  private async process(message: JsMsg): Promise<void> {
    const valid = await this.validOrFailed(message);
    if (valid) await this.handleOne(valid);
  }

  /** The validated message, or undefined once an invalid one was handed to `fail`. */
  private async validOrFailed(message: JsMsg): Promise<ValidMessage<C> | undefined> {
    try {
      return this.validate(message);
    } catch (error) {
      await this.fail(message, messageIdOf(message), message.info.deliveryCount, error as Error);
      return undefined;
    }
  }

  /** One message in its own transaction with its inbox row; acked after commit, else retried or dead-lettered. */
  private async handleOne(message: ValidMessage<C>): Promise<void> {
    const { raw, body, ...context } = message;
    try {
      await this.dataSource.transaction(async (manager) => {
        // Processed before and the ack was lost: acknowledge without running again.
        if ((await this.claim(manager, [message])).length === 0) return;
        if (this.parts === 1) return this.definition.handle(body, { ...context, manager });
        // The parts a failed batch (or an earlier delivery) did not commit, with the count they were begun with.
        const { count, done } = (await this.partsDone(manager, [message])).get(context.messageId) ?? { count: this.parts, done: new Set<number>() };
        for (let index = 0; index < count; index++) {
          if (!done.has(index)) await this.definition.handle(body, { ...context, manager, part: { index, count } });
        }
        await this.dropPartRows(manager, [message], count);
      });
      raw.ack();
    } catch (error) {
      const parts = context.deliveryCount >= this.maxDeliveries ? this.definition.split?.(body) : undefined;
      if (parts && parts.length > 1) return this.salvage(message, parts, error as Error);
      await this.fail(raw, context.messageId, context.deliveryCount, error as Error);
    }
  }

  /**
   * The last delivery of a message that failed whole: its parts are handled one by one, each in a
   * savepoint; the failing ones are dead-lettered before the commit (a commit that then fails
   * leaves the message to come back, and JetStream drops a repeated dead letter by its id).
   */
  private async salvage(message: ValidMessage<C>, parts: readonly MessageOf<C>[], error: Error): Promise<void> {
    const { raw, body: _body, ...context } = message;
    let failed = 0;
    try {
      await this.dataSource.transaction(async (manager) => {
        if ((await this.claim(manager, [message])).length === 0) return;
        for (const [index, part] of parts.entries()) {
          try {
            await manager.transaction((savepoint) => this.definition.handle(part, { ...context, manager: savepoint }));
          } catch (partError) {
            failed++;
            await this.deadLetter(raw, `${context.messageId}:${index}`, context.deliveryCount, partError as Error, JSON.stringify(part));
          }
        }
      });
      raw.ack();
      this.logger.error(
        { consumer: this.definition.durable, subject: raw.subject, messageId: context.messageId, parts: parts.length, failed, err: error },
        'message failed whole on its last delivery; its failing parts were dead-lettered, the others handled',
      );
    } catch (salvageError) {
      await this.fail(raw, context.messageId, context.deliveryCount, salvageError as Error);
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
    try {
      await this.deadLetter(message, messageId, deliveries, error, message.string());
      // No reason text: `+TERM <reason>` needs nats-server 2.10.4, and older servers leave the message pending.
      message.term();
      this.logger.error({ ...log, err: error }, 'message dead-lettered');
    } catch (publishError) {
      // Leave it unacknowledged: it comes back after ack_wait and is dead-lettered then.
      this.logger.error({ ...log, err: publishError }, 'dead-lettering failed');
    }
  }

  /** Publishes what was given up on (a message, or a part of one: `letterId` names it) to the dead-letter stream. */
  private async deadLetter(message: JsMsg, letterId: string, deliveries: number, error: Error, payload: string): Promise<void> {
    const letter: DeadLetter = {
      consumer: this.definition.durable,
      subject: message.subject,
      streamSequence: message.info.streamSequence,
      deliveries,
      error: error.message,
      payload,
      deadLetteredAt: new Date().toISOString(),
    };
    await this.messaging.js.publish(this.messaging.subjects.deadLetterSubject(this.definition.durable), JSON.stringify(letter), {
      msgID: `${this.definition.durable}:${letterId}`,
    });
  }
}

/** The inbox's consumer name for a part's rows. */
function partConsumer(durable: string, part: BatchPart): string {
  return `${durable}#${part.index}/${part.count}`;
}
