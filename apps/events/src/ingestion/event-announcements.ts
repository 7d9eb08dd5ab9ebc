import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventsIngested, MAX_EVENTS_PER_MESSAGE, validateMessage, type IngestedEvent, type MessageOf } from '@boomerang/contracts';
import type { Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import type { Copy } from '@boomerang/platform/persistence';
import { LOGGER, MESSAGING, MessagingLifecycle, OneAtATime } from '@boomerang/platform/subgraph';
import type { EventRow } from '../events/event.entity.js';
import type { IngestEventCommand } from './ingest-event.command.js';

/** An event committed by an ingest transaction, to announce. */
export interface CommittedEvent {
  projectId: string;
  id: string;
  command: IngestEventCommand;
  /** `command.timestamp` as ISO 8601, when already formatted (the COPY row and the message share it). */
  timestamp?: string;
}

/** An EventsIngested message recorded in a transaction, published after its commit. */
export interface Announcement {
  /** Its Nats-Msg-Id (the `event_announcement` row's id). */
  id: string;
  subject: string;
  projectId: string;
  eventIds: string[];
  /** The validated body as JSON. */
  text: string;
}

/** Rows older than this are taken to have lost their publisher (crash, NATS down) and are re-announced. */
const RECOVERY_GRACE_SECONDS = 10;
const RECOVERY_INTERVAL_MS = 5_000;
const RECOVERY_BATCH = 20;
/** The one key sweeps queue under. */
const SWEEP = 'sweep';

/**
 * The events service's outbox for EventsIngested, shaped for ingest volume. The ingest
 * transaction writes one small `event_announcement` row per message (its Nats-Msg-Id and event
 * ids, not the body: the events themselves were just written); right after the commit the body
 * built in memory is published and the row deleted, so PostgreSQL never stores, reads back or
 * parses the message. A row whose publisher died or whose publish failed is re-announced after
 * RECOVERY_GRACE_SECONDS by a sweep that rebuilds the body from the event rows, under the same
 * Nats-Msg-Id, so JetStream drops it if the first publish did land: each event is announced once.
 */
@Injectable()
export class EventAnnouncements implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private readonly sweeps = new OneAtATime();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
    lifecycle: MessagingLifecycle,
  ) {
    lifecycle.addPublisher(this);
  }

  onApplicationBootstrap(): void {
    if (process.argv.includes('--print-schema')) return;
    this.timer = setInterval(() => void this.sweep(RECOVERY_GRACE_SECONDS), RECOVERY_INTERVAL_MS);
    // At start, rows of a process that died are announced at once (a live instance's copy is dropped by JetStream).
    void this.sweep(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    await this.sweeps.idle(SWEEP);
  }

  /** The messages announcing `events` (per project, in order), validated and serialised; recorded through `outboxRows`. */
  prepare(events: readonly CommittedEvent[]): Announcement[] {
    return messagesFor(events).map((body) => {
      const subject = this.messaging.subjects.subject(EventsIngested, body.projectId);
      const valid = validateMessage(EventsIngested, subject, body);
      return { id: randomUUID(), subject, projectId: valid.projectId, eventIds: valid.events.map((event) => event.eventId), text: JSON.stringify(valid) };
    });
  }

  /** The announcements' outbox rows (ids only), to COPY in the ingest transaction; published after the commit by `publish`. */
  outboxRows(announcements: readonly Announcement[]): Copy {
    return {
      statement: 'COPY event_announcement (id, project_id, event_ids) FROM STDIN',
      lines: announcements.map(({ id, projectId, eventIds }) => `${id}\t${projectId}\t{${eventIds.join(',')}}`),
    };
  }

  /** After the commit: publishes and deletes the rows; a failure leaves them to the recovery sweep. */
  publish(announcements: readonly Announcement[]): void {
    if (announcements.length === 0) return;
    const publishing = (async () => {
      await Promise.all(announcements.map(({ id, subject, text }) => this.messaging.js.publish(subject, text, { msgID: id })));
      await this.dataSource.query(`DELETE FROM event_announcement WHERE id = ANY($1::uuid[])`, [announcements.map(({ id }) => id)]);
    })()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'announcing ingested events failed; the recovery sweep will retry'))
      .finally(() => this.inFlight.delete(publishing));
    this.inFlight.add(publishing);
  }

  /** Publishes everything recorded so far, now (tests; the lifecycle's flushOutbox). */
  async flush(): Promise<void> {
    await Promise.all(this.inFlight);
    await this.sweep(0);
  }

  /** One sweep at a time: a new one (e.g. a flush) runs after the one under way. */
  private sweep(graceSeconds: number): Promise<void> {
    return this.sweeps.run(SWEEP, () =>
      this.recoverAll(graceSeconds).catch((error: unknown) => this.logger.error({ err: error }, 'event announcement sweep failed; retrying on the next tick')),
    );
  }

  private async recoverAll(graceSeconds: number): Promise<void> {
    while ((await this.recoverBatch(graceSeconds)) > 0);
  }

  /** Re-announces up to RECOVERY_BATCH old rows from the stored events; the rows go at the commit after every ack. */
  private recoverBatch(graceSeconds: number): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows = (await manager.query(
        `DELETE FROM event_announcement WHERE seq IN (
           SELECT seq FROM event_announcement WHERE created_at <= now() - make_interval(secs => $1)
           ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id, project_id, event_ids`,
        [graceSeconds, RECOVERY_BATCH],
      )) as [{ id: string; project_id: string; event_ids: string[] }[], number];
      for (const row of rows[0]) {
        // Events erased since are left out; a message left with none is not sent.
        const stored = (await manager.query(
          `SELECT e.* FROM unnest($2::uuid[]) WITH ORDINALITY AS a(id, n) JOIN event e ON e.id = a.id AND e.project_id = $1 ORDER BY a.n`,
          [row.project_id, row.event_ids],
        )) as EventRow[];
        if (stored.length === 0) continue;
        const body = { projectId: row.project_id, occurredAt: new Date().toISOString(), events: stored.map(storedEvent) };
        const subject = this.messaging.subjects.subject(EventsIngested, row.project_id);
        await this.messaging.js.publish(subject, JSON.stringify(validateMessage(EventsIngested, subject, body)), { msgID: row.id });
      }
      if (rows[0].length > 0) this.logger.info({ messages: rows[0].length }, 'ingested events re-announced from the recovery sweep');
      return rows[0].length;
    });
  }
}

/** The announcements of `events`: per project, in ingest order, MAX_EVENTS_PER_MESSAGE at most per message. */
function messagesFor(events: readonly CommittedEvent[]): MessageOf<typeof EventsIngested>[] {
  const byProject = new Map<string, IngestedEvent[]>();
  for (const { projectId, id, command, timestamp } of events) {
    let announced = byProject.get(projectId);
    if (!announced) byProject.set(projectId, (announced = []));
    announced.push(announcedEvent(id, command, timestamp));
  }
  const occurredAt = new Date().toISOString();
  const messages: MessageOf<typeof EventsIngested>[] = [];
  for (const [projectId, announced] of byProject) {
    for (let at = 0; at < announced.length; at += MAX_EVENTS_PER_MESSAGE) {
      messages.push({ projectId, occurredAt, events: announced.slice(at, at + MAX_EVENTS_PER_MESSAGE) });
    }
  }
  return messages;
}

/** An event as announced at ingest. */
function announcedEvent(eventId: string, command: IngestEventCommand, timestamp = command.timestamp.toISOString()): IngestedEvent {
  const deviceId = deviceIdOf(command.context);
  return {
    eventId,
    messageId: command.messageId,
    profileId: command.profileId,
    name: command.name,
    timestamp,
    properties: command.properties,
    type: command.type,
    userId: command.userId,
    anonymousId: command.anonymousId,
    ...(command.traits ? { traits: command.traits } : {}),
    ...(command.previousId ? { previousId: command.previousId } : {}),
    ...(command.type === 'identify' && command.context ? { context: command.context } : {}),
    // Spreading undefined allocates nothing: most events carry no device id.
    ...(deviceId === undefined ? undefined : { deviceId }),
    ...(command.verified ? { verified: true } : undefined),
  };
}

/** Segment's `context.device.id` when it can be a profile identity (1–255 characters). */
function deviceIdOf(context: Record<string, unknown> | null): string | undefined {
  const id = (context?.device as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 255 ? id : undefined;
}

/** The same event rebuilt from its row: identify and group traits, and alias' previousId, are stored in `properties`. */
export function storedEvent(row: EventRow): IngestedEvent {
  const previousId = row.type === 'alias' ? row.properties.previousId : undefined;
  return announcedEvent(row.id, {
    messageId: row.message_id,
    type: row.type,
    name: row.name,
    profileId: row.profile_id,
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    properties: row.properties,
    traits: row.type === 'identify' || row.type === 'group' ? row.properties : null,
    previousId: typeof previousId === 'string' ? previousId : null,
    context: row.context,
    timestamp: row.timestamp,
    sentAt: row.sent_at,
    receivedAt: row.received_at,
    verified: row.verified,
  });
}
