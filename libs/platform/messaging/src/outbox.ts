import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { validateMessage, type MessageContract, type MessageOf, type SubjectNamer } from '@boomerang/contracts';
import type { Logger } from '@boomerang/platform/observability';
import type { Messaging } from './nats.js';

function schemaOf(manager: EntityManager | DataSource): string {
  const { schema } = ('connection' in manager ? manager.connection : manager).options as { schema?: string };
  if (!schema) throw new Error('the data source has no schema: messaging tables live in the service schema');
  return schema;
}

/**
 * Writes messages into the outbox inside the caller's transaction, so a message exists if and
 * only if the state change it describes was committed. Bodies are validated here (on publish).
 */
export class OutboxWriter {
  constructor(private readonly subjects: SubjectNamer) {}

  async enqueue<C extends MessageContract>(manager: EntityManager, contract: C, body: MessageOf<C>): Promise<string> {
    return (await this.enqueueMany(manager, contract, [body]))[0]!;
  }

  async enqueueMany<C extends MessageContract>(
    manager: EntityManager,
    contract: C,
    bodies: readonly MessageOf<C>[],
  ): Promise<string[]> {
    if (bodies.length === 0) return [];
    const ids: string[] = [];
    const rows: { id: string; project_id: string; subject: string; payload: unknown }[] = [];
    for (const body of bodies) {
      const subject = this.subjects.subject(contract, (body as { projectId: string }).projectId);
      const valid = validateMessage(contract, subject, body) as { projectId: string };
      const id = randomUUID();
      ids.push(id);
      rows.push({ id, project_id: valid.projectId, subject, payload: valid });
    }
    // One json parameter for the whole batch: serialised once, no per-row array-literal escaping.
    await manager.query(
      `INSERT INTO "${schemaOf(manager)}".outbox (id, project_id, subject, payload)
       SELECT id, project_id, subject, payload FROM json_to_recordset($1::json) AS m(id uuid, project_id uuid, subject text, payload jsonb)`,
      [JSON.stringify(rows)],
    );
    return ids;
  }
}

interface OutboxRow {
  seq: string;
  id: string;
  subject: string;
  /** The jsonb body as JSON text. */
  payload: string;
}

export interface OutboxRelayOptions {
  batchSize?: number;
  /** Poll interval when no notification arrives (notifications are only a shortcut). */
  pollIntervalMs?: number;
}

/**
 * Relays committed outbox rows to JetStream, each with `Nats-Msg-Id` = the row id, and removes
 * them: a batch is claimed and deleted by one `DELETE … WHERE seq IN (SELECT … FOR UPDATE SKIP
 * LOCKED) RETURNING`, published, and committed only once every publish was acked (no UPDATE
 * plus later clean-up DELETE). Several relays can run: each skips the rows another holds.
 * A crash or failed publish before the commit rolls the delete back; the rows are republished
 * with the same ids, which JetStream's duplicate window discards: each message lands once.
 */
export class OutboxRelay {
  private listener?: pg.Client;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: Pick<Messaging, 'js'>,
    private readonly logger: Logger,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  private get table(): string {
    return `"${schemaOf(this.dataSource)}".outbox`;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const options = this.dataSource.options as { url?: string };
    this.listener = new pg.Client({ connectionString: options.url });
    this.listener.on('error', (error) => this.logger.warn({ err: error }, 'outbox listener connection failed'));
    await this.listener.connect();
    this.listener.on('notification', () => this.kick());
    await this.listener.query(`LISTEN "${schemaOf(this.dataSource)}_outbox"`);
    this.timer = setInterval(() => this.kick(), this.pollIntervalMs);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** Publishes everything pending now; resolves when the outbox was empty at some point. */
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
      .catch((error) => this.logger.error({ err: error }, 'outbox relay failed; retrying on the next tick'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    let relayed: number;
    do {
      relayed = await this.relayBatch();
    } while (relayed === this.batchSize && !this.stopped);
  }

  /** Publishes one batch; exported for tests that simulate a crash mid-relay. */
  async relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // Claim and delete in one statement: the DELETE locks the rows (other relays skip them)
      // but only takes effect at COMMIT, which waits for every publish ack below. Any failure
      // or a crash before then rolls it back and the rows are published again (same msgID).
      // payload as text: published as stored, without a JSON parse and re-serialisation here.
      const [rows] = (await manager.query(
        `DELETE FROM ${this.table} WHERE seq IN (
           SELECT seq FROM ${this.table} WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING seq, id, subject, payload::text AS payload`,
        [this.batchSize],
      )) as [OutboxRow[], number];
      if (rows.length === 0) return 0;
      rows.sort((a, b) => Number(a.seq) - Number(b.seq));
      // Publishes are pipelined (in outbox order); every ack is awaited before the commit.
      await Promise.all(rows.map((row) => this.messaging.js.publish(row.subject, row.payload, { msgID: row.id })));
      return rows.length;
    });
  }
}
