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
    const projectIds: string[] = [];
    const subjects: string[] = [];
    const payloads: string[] = [];
    for (const body of bodies) {
      const subject = this.subjects.subject(contract, (body as { projectId: string }).projectId);
      const valid = validateMessage(contract, subject, body) as { projectId: string };
      ids.push(randomUUID());
      projectIds.push(valid.projectId);
      subjects.push(subject);
      payloads.push(JSON.stringify(valid));
    }
    await manager.query(
      `INSERT INTO "${schemaOf(manager)}".outbox (id, project_id, subject, payload)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[])`,
      [ids, projectIds, subjects, payloads],
    );
    return ids;
  }
}

interface OutboxRow {
  seq: string;
  id: string;
  subject: string;
  payload: unknown;
}

export interface OutboxRelayOptions {
  batchSize?: number;
  /** Poll interval when no notification arrives (notifications are only a shortcut). */
  pollIntervalMs?: number;
  /** Published rows older than this are deleted. */
  retentionMs?: number;
}

/**
 * Relays committed outbox rows to JetStream, each with `Nats-Msg-Id` = the row id, and marks
 * them published. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several relays can run.
 * A crash after publishing but before marking republishes the same id, which JetStream's
 * duplicate window discards: each message lands on its stream once.
 */
export class OutboxRelay {
  private listener?: pg.Client;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  private lastCleanup = 0;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retentionMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: Pick<Messaging, 'js'>,
    private readonly logger: Logger,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
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
    if (Date.now() - this.lastCleanup > 60_000) {
      this.lastCleanup = Date.now();
      await this.dataSource.query(
        `DELETE FROM ${this.table} WHERE published_at < now() - make_interval(secs => $1)`,
        [this.retentionMs / 1000],
      );
    }
  }

  /** Publishes one batch; exported for tests that simulate a crash mid-relay. */
  async relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT seq, id, subject, payload FROM ${this.table}
         WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      // Publishes are pipelined; every ack is awaited before the rows are marked.
      await Promise.all(
        rows.map((row) => this.messaging.js.publish(row.subject, JSON.stringify(row.payload), { msgID: row.id })),
      );
      await manager.query(`UPDATE ${this.table} SET published_at = now() WHERE seq = ANY($1::bigint[])`, [
        rows.map((row) => row.seq),
      ]);
      return rows.length;
    });
  }
}
