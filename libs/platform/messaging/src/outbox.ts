import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { validateMessage, type MessageContract, type MessageOf, type SubjectNamer } from '@boomerang/contracts';
import type { Logger } from '@boomerang/platform/observability';
import { listenForNotifications, type NotificationListener } from '@boomerang/platform/persistence';
import type { Messaging } from './nats.js';
import { PubAckInbox } from './pub-ack-inbox.js';
import { schemaOf } from './service-schema.js';

/**
 * Writes messages into the outbox inside the caller's transaction, so a message exists if and
 * only if the state change it describes was committed. Bodies are validated here (on publish).
 * The messages of one call that share a subject go into ONE row (a JSON array and their ids).
 */
export class OutboxWriter {
  constructor(private readonly subjects: SubjectNamer) {}

  async enqueue<C extends MessageContract>(manager: EntityManager, contract: C, body: MessageOf<C>): Promise<string> {
    return (await this.enqueueMany(manager, contract, [body]))[0]!;
  }

  /**
   * Enqueues `bodies`; `messageIds[i]` (default: a new uuid) becomes the Nats-Msg-Id of
   * `bodies[i]`, so it must be unique across the stream within JetStream's duplicate window.
   * Returns the message ids.
   */
  async enqueueMany<C extends MessageContract>(
    manager: EntityManager,
    contract: C,
    bodies: readonly MessageOf<C>[],
    messageIds?: readonly string[],
  ): Promise<string[]> {
    if (bodies.length === 0) return [];
    const messages = this.prepare(contract, bodies, messageIds);
    const batches = new Map<string, { projectId: string; texts: string[]; ids: string[] }>();
    messages.subjects.forEach((subject, i) => {
      let batch = batches.get(subject);
      if (!batch) batches.set(subject, (batch = { projectId: messages.projectIds[i]!, texts: [], ids: [] }));
      batch.texts.push(messages.bodies[i]!);
      batch.ids.push(messages.messageIds[i]!);
    });
    for (const [subject, batch] of batches) {
      await manager.query(
        `INSERT INTO "${schemaOf(manager)}".outbox (id, project_id, subject, bodies, message_ids) VALUES ($1, $2, $3, $4::json, $5::text[])`,
        [randomUUID(), batch.projectId, subject, `[${batch.texts.join(',')}]`, batch.ids],
      );
    }
    return messages.messageIds;
  }

  /**
   * GDPR erasure of what is not relayed yet: removes from `projectId`'s outbox rows (in the caller's
   * transaction, `manager`'s schema) every message whose body contains `text` (an erased profile's
   * id), keeping the other messages of the same batch row with their ids; a row left empty goes.
   * Returns how many messages were removed. A row the relay is publishing is waited for (its lock).
   */
  async removeMessagesNaming(manager: EntityManager, projectId: string, text: string): Promise<number> {
    const outbox = `"${schemaOf(manager)}".outbox`;
    const [{ removed }] = (await manager.query(
      `WITH touched AS (
         SELECT id FROM ${outbox} WHERE project_id = $1 AND strpos(bodies::text, $2) > 0 FOR UPDATE
       ), messages AS (
         SELECT o.id, b.body, o.message_ids[b.n] AS message_id, b.n, strpos(b.body::text, $2) > 0 AS named
         FROM ${outbox} o JOIN touched t ON t.id = o.id CROSS JOIN LATERAL json_array_elements(o.bodies) WITH ORDINALITY AS b(body, n)
       ), kept AS (
         SELECT id, json_agg(body ORDER BY n) AS bodies, array_agg(message_id ORDER BY n) AS message_ids FROM messages WHERE NOT named GROUP BY id
       ), emptied AS (
         DELETE FROM ${outbox} o USING touched t WHERE o.id = t.id AND o.id NOT IN (SELECT id FROM kept)
       ), rewritten AS (
         UPDATE ${outbox} o SET bodies = k.bodies, message_ids = k.message_ids FROM kept k WHERE o.id = k.id
       )
       SELECT count(*) FILTER (WHERE named)::int AS removed FROM messages`,
      [projectId, text],
    )) as [{ removed: number }];
    return removed;
  }

  /**
   * `bodies` validated and serialized as `enqueueMany` writes them, one array element per message,
   * for a statement of the caller's that writes them together with the state change they describe
   * (`insertSql` in a data-modifying CTE): one statement, no transaction around it.
   */
  prepare<C extends MessageContract>(contract: C, bodies: readonly MessageOf<C>[], messageIds?: readonly string[]): PreparedMessages {
    if (messageIds && messageIds.length !== bodies.length) throw new Error('enqueueMany: one message id per body');
    const prepared: PreparedMessages = { subjects: [], projectIds: [], bodies: [], messageIds: messageIds ? [...messageIds] : bodies.map(() => randomUUID()) };
    for (const body of bodies) {
      const subject = this.subjects.subject(contract, (body as { projectId: string }).projectId);
      const valid = validateMessage(contract, subject, body) as { projectId: string };
      prepared.subjects.push(subject);
      prepared.projectIds.push(valid.projectId);
      prepared.bodies.push(JSON.stringify(valid));
    }
    return prepared;
  }

  /**
   * An INSERT into the outbox of `manager`'s schema of the prepared messages in `messages` (a FROM
   * item with the columns subject, project_id, body (json, or its text), msg_id and ord, the messages' order),
   * for a WITH clause. As with `enqueueMany`, the messages that share a subject make one row.
   */
  insertSql(manager: EntityManager | DataSource, messages: string): string {
    return `INSERT INTO "${schemaOf(manager)}".outbox (id, project_id, subject, bodies, message_ids)
      SELECT gen_random_uuid(), m.project_id, m.subject, json_agg(m.body::json ORDER BY m.ord), array_agg(m.msg_id ORDER BY m.ord)
      FROM ${messages} AS m GROUP BY m.subject, m.project_id ORDER BY min(m.ord)`;
  }

  /**
   * Enqueues one message per row of `select` (SQL whose one column `body` is the json body, in
   * order), written by PostgreSQL without a round trip through JS: for messages computed in bulk
   * in SQL (a new segment's tens of thousands of entries). The first body of each outbox row is
   * validated against the contract, so a query drifting from it fails the transaction. Returns
   * how many messages were enqueued.
   */
  async enqueueSelected(manager: EntityManager, contract: MessageContract, projectId: string, select: string, params: readonly unknown[]): Promise<number> {
    const subject = this.subjects.subject(contract, projectId);
    const at = params.length;
    const rows = (await manager.query(
      `INSERT INTO "${schemaOf(manager)}".outbox (id, project_id, subject, bodies, message_ids)
       SELECT gen_random_uuid(), $${at + 1}::uuid, $${at + 2}, json_agg(body ORDER BY n), array_agg(gen_random_uuid()::text ORDER BY n)
       FROM (SELECT body, row_number() OVER () AS n FROM (${select}) selected) numbered
       GROUP BY (n - 1) / ${SELECTED_PER_ROW}
       ORDER BY min(n)
       RETURNING cardinality(message_ids) AS size, bodies -> 0 AS first`,
      [...params, projectId, subject],
    )) as { size: number; first: unknown }[];
    for (const row of rows) validateMessage(contract, subject, row.first);
    return rows.reduce((total, row) => total + row.size, 0);
  }
}

/** Messages for a caller's statement to write (`OutboxWriter.prepare`), by index: message i is `bodies[i]` (JSON text) on `subjects[i]`. */
export interface PreparedMessages {
  subjects: string[];
  projectIds: string[];
  bodies: string[];
  messageIds: string[];
}

/** Messages per outbox row when a query writes them (enqueueSelected). */
const SELECTED_PER_ROW = 5000;

interface OutboxMessage {
  seq: string;
  n: string;
  msg_id: string;
  subject: string;
  /** The body as the JSON text that was written. */
  body: string;
  /** Rows the batch locked (it relays fewer when maxMessages cuts it). */
  locked_rows: number;
}

export interface OutboxRelayOptions {
  /** Rows per relay transaction at most (each row is one or more messages). */
  batchSize?: number;
  /** Messages per relay transaction at most (a single larger row still goes alone). */
  maxMessages?: number;
  /** Poll interval when no notification arrives (notifications are only a shortcut). */
  pollIntervalMs?: number;
}

/**
 * Relays committed outbox rows to JetStream, one message per body with its own `Nats-Msg-Id`,
 * and removes the rows: a batch of rows is claimed and deleted by one `DELETE … WHERE seq IN
 * (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`, published, and committed only once every
 * publish was acked (no UPDATE plus later clean-up DELETE). Several relays can run: each skips the rows another holds.
 * A crash or failed publish before the commit rolls the delete back; the rows are republished
 * with the same ids, which JetStream's duplicate window discards: each message lands once.
 */
export class OutboxRelay {
  private listener?: NotificationListener;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  private readonly batchSize: number;
  private readonly maxMessages: number;
  private readonly pollIntervalMs: number;
  /** Where the streams' acks of a batch arrive (with a connection; a test's stand-in `js` alone publishes through it). */
  private pubAcks?: PubAckInbox;

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: Pick<Messaging, 'js'> & Partial<Pick<Messaging, 'nc'>>,
    private readonly logger: Logger,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.maxMessages = options.maxMessages ?? 5000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  private get table(): string {
    return `"${schemaOf(this.dataSource)}".outbox`;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const options = this.dataSource.options as { url?: string };
    this.listener = await listenForNotifications({
      connectionString: options.url!,
      channel: `${schemaOf(this.dataSource)}_outbox`,
      onNotify: () => this.kick(),
      onError: (error) => this.logger.warn({ err: error }, 'outbox listener connection failed; listening again, polling meanwhile'),
      // Rows committed while it was down notified no one.
      onReconnect: () => this.kick(),
    });
    this.timer = setInterval(() => this.kick(), this.pollIntervalMs);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.listener?.close();
    this.listener = undefined;
    this.pubAcks?.close();
    this.pubAcks = undefined;
  }

  /** Publishes everything pending now; resolves when the outbox was empty at some point, or a relay attempt failed. */
  async flush(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(
        () => true,
        (error: unknown) => {
          this.logger.error({ err: error }, 'outbox relay failed; retrying on the next tick');
          return false;
        },
      )
      .then((drained) => {
        this.running = undefined;
        const again = this.again;
        this.again = false;
        // After a failure the next poll retries: no back-to-back attempts (and no endless flush) while publishes fail.
        if (again && drained) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while ((await this.relay()).more && !this.stopped);
  }

  /** Publishes one batch of rows (returns how many); exported for tests that simulate a crash mid-relay. */
  async relayBatch(): Promise<number> {
    return (await this.relay()).relayed;
  }

  /** One batch: how many rows it relayed, and whether rows may be left (a full batch, or one cut at maxMessages). */
  private relay(): Promise<{ relayed: number; more: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      // Claim and delete in one statement: the DELETE locks the rows (other relays skip them)
      // but only takes effect at COMMIT, which waits for every publish ack below. Any failure
      // or a crash before then rolls it back and the rows are published again (same msgIDs).
      // json_array_elements hands back each body's text as written: no parse or re-serialisation here.
      // The ids are unnested beside the bodies (ROWS FROM zips them): message_ids[n] would decompress the whole TOASTed array once per message.
      // Rows are taken in order while the messages before them stay under maxMessages (the
      // first row always goes), so one transaction never holds an unbounded number of publishes.
      const messages = (await manager.query(
        `WITH locked AS (
           SELECT seq, cardinality(message_ids) AS size FROM ${this.table} ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
         ), taken AS (
           SELECT seq FROM (SELECT seq, size, sum(size) OVER (ORDER BY seq) - size AS before FROM locked) AS running WHERE before = 0 OR before + size <= $2
         ), claimed AS (
           DELETE FROM ${this.table} WHERE seq IN (SELECT seq FROM taken)
           RETURNING seq, subject, bodies, message_ids)
         SELECT seq, b.n, b.msg_id, subject, b.body::text AS body, (SELECT count(*) FROM locked)::int AS locked_rows
         FROM claimed, ROWS FROM (json_array_elements(claimed.bodies), unnest(claimed.message_ids)) WITH ORDINALITY AS b(body, msg_id, n)`,
        [this.batchSize, this.maxMessages],
      )) as OutboxMessage[];
      if (messages.length === 0) return { relayed: 0, more: false };
      messages.sort((a, b) => Number(a.seq) - Number(b.seq) || Number(a.n) - Number(b.n));
      // Publishes are pipelined (in outbox order); every ack is awaited before the commit.
      await this.publish(messages);
      const relayed = new Set(messages.map((message) => message.seq)).size;
      const locked = messages[0]!.locked_rows;
      return { relayed, more: locked === this.batchSize || relayed < locked };
    });
  }

  /** Every message stored (acked), or throws: one batch on the relay's own ack inbox, then `js.publish` with its retries for any not acked. */
  private async publish(messages: readonly OutboxMessage[]): Promise<void> {
    let unacked = messages;
    if (this.messaging.nc) {
      this.pubAcks ??= new PubAckInbox(this.messaging.nc, PUB_ACK_TIMEOUT_MS);
      const acked = await this.pubAcks.publish(messages.map((message) => ({ subject: message.subject, body: message.body, msgId: message.msg_id })));
      unacked = messages.filter((_, i) => !acked[i]);
    }
    await Promise.all(unacked.map((message) => this.messaging.js.publish(message.subject, message.body, { msgID: message.msg_id })));
  }
}

/** How long a batch waits for its acks before the unacknowledged go through js.publish (its own timeout and retries). */
const PUB_ACK_TIMEOUT_MS = 5_000;
