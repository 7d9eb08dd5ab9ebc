import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { v7 as timeOrderedUuid } from 'uuid';
import { runPipelinedCopies, type Copy } from '@boomerang/platform/persistence';
import { ProfileLinks } from '../profile-sync/profile-links.js';
import { EventAnnouncements, type Announcement, type CommittedEvent } from './event-announcements.js';
import type { IngestEventCommand, IngestEventsResult } from './ingest-event.command.js';

/** Transactions of grouped requests running at once (the rest wait and join the next group). */
const CONCURRENT_GROUPS = 2;
/** A group closes once it holds this many events (one request is never split). */
const GROUP_EVENTS = 2000;

interface PendingIngest {
  projectId: string;
  commands: readonly IngestEventCommand[];
  resolve(result: IngestEventsResult): void;
  reject(error: unknown): void;
}

/**
 * The one write path for events. Calls that arrive while earlier ones are being written are
 * grouped. A group's profiles, COPY rows and messages are prepared first; then ONE transaction, of
 * one message to PostgreSQL whatever the group's size, claims the messageIds in `event_message_id`,
 * writes the events and records their EventsIngested messages (a few hundred events each;
 * published after the commit by EventAnnouncements), all by COPY. A messageId claimed before (a
 * retried batch) fails that transaction; the group is then written again in a transaction whose
 * INSERT … ON CONFLICT DO NOTHING claim tells the new events from the repeated. Each call resolves
 * only after its commit. A retried batch records and publishes nothing twice; a crash before commit
 * records nothing; a group that fails is retried call by call, so one bad call fails alone.
 */
@Injectable()
export class IngestEvents {
  private readonly queue: PendingIngest[] = [];
  private running = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly announcements: EventAnnouncements,
    private readonly profileLinks: ProfileLinks,
  ) {}

  execute(projectId: string, commands: readonly IngestEventCommand[]): Promise<IngestEventsResult> {
    if (commands.length === 0) return Promise.resolve({ inserted: 0, eventIds: [] });
    return new Promise((resolve, reject) => {
      this.queue.push({ projectId, commands, resolve, reject });
      this.startGroups();
    });
  }

  private startGroups(): void {
    while (this.running < CONCURRENT_GROUPS && this.queue.length > 0) {
      const group = [this.queue.shift()!];
      let events = group[0]!.commands.length;
      while (this.queue.length > 0 && events + this.queue[0]!.commands.length <= GROUP_EVENTS) {
        const next = this.queue.shift()!;
        group.push(next);
        events += next.commands.length;
      }
      this.running++;
      void this.write(group).finally(() => {
        this.running--;
        this.startGroups();
      });
    }
  }

  private async write(group: PendingIngest[]): Promise<void> {
    try {
      await this.commit(group);
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      for (const call of group) await this.commit([call]).catch(call.reject);
    }
  }

  /**
   * Writes the group, answers its calls and announces what it stored. Everything the writes need
   * (profiles, COPY rows, the messages) is prepared before PostgreSQL is asked, so it spends a
   * transaction's time on the writes alone while the next group is being prepared.
   */
  private async commit(group: readonly PendingIngest[]): Promise<void> {
    // Time-ordered ids: the primary key index grows at its right edge (a random id touches any of its pages).
    const entries = group.flatMap(({ projectId, commands }, call) => commands.map((command): PendingEntry => ({ call, projectId, command, id: timeOrderedUuid() })));
    await this.attachProfiles(entries);
    const rows = eventRows(entries);
    let written: { results: IngestEventsResult[]; announcements: Announcement[] };
    try {
      written = await this.writeAllNew(group, entries, rows);
    } catch (error) {
      if (!isRepeatedMessageId(error)) throw error;
      written = await this.dataSource.transaction((manager) => this.writeNewOnly(manager, group, entries, rows));
    }
    group.forEach((call, i) => call.resolve(written.results[i]!));
    this.announcements.publish(written.announcements);
  }

  /**
   * The usual case, every messageId new: claims, events and announcement rows in one pipelined
   * message (see runPipelinedCopies). A repeated messageId fails the claim COPY, and with it the
   * whole transaction (isRepeatedMessageId).
   */
  private async writeAllNew(
    group: readonly PendingIngest[],
    entries: readonly PendingEntry[],
    rows: readonly string[],
  ): Promise<{ results: IngestEventsResult[]; announcements: Announcement[] }> {
    const announcements = this.announcements.prepare(entries);
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as pg.PoolClient;
      await runPipelinedCopies(client, [claimCopy(entries), { statement: EVENT_COPY, lines: rows }, this.announcements.outboxRows(announcements)]);
    } finally {
      await runner.release();
    }
    const eventIds = group.map((): string[] => []);
    for (const { call, id } of entries) eventIds[call]!.push(id);
    return { results: eventIds.map((ids) => ({ inserted: ids.length, eventIds: ids })), announcements };
  }

  /**
   * SDK events name a user or anonymous id; attaches them to the profile already known for it
   * (one look-up per project, mostly answered by the links cache). Read just before the
   * transaction rather than at its start: a few milliseconds earlier, no other difference.
   */
  private async attachProfiles(entries: readonly PendingEntry[]): Promise<void> {
    for (const projectId of new Set(entries.map((entry) => entry.projectId))) {
      const unresolved = entries.filter((entry) => entry.projectId === projectId && !entry.command.profileId);
      const owners = await this.profileLinks.resolve(this.dataSource.manager, projectId, unresolved.map(({ command }) => command));
      unresolved.forEach((entry, i) => {
        if (owners[i]) entry.command = { ...entry.command, profileId: owners[i] };
      });
    }
  }

  /** Some messageIds were claimed before: claims the rest, and writes and announces only their events. */
  private async writeNewOnly(
    manager: EntityManager,
    group: readonly PendingIngest[],
    entries: readonly PendingEntry[],
    rows: readonly string[],
  ): Promise<{ results: IngestEventsResult[]; announcements: Announcement[] }> {
    const claimed = await insertClaims(manager, entries);
    const claimedIds = new Set(claimed.map((row) => row.event_id));
    const fresh = entries.filter(({ id }) => claimedIds.has(id));
    let announcements: Announcement[] = [];
    if (fresh.length > 0) {
      announcements = this.announcements.prepare(fresh);
      const connection = (await manager.queryRunner!.connect()) as pg.PoolClient;
      await runPipelinedCopies(connection, [{ statement: EVENT_COPY, lines: entries.flatMap((entry, i) => (claimedIds.has(entry.id) ? [rows[i]!] : [])) }, this.announcements.outboxRows(announcements)]);
    }

    // Repeated messageIds answer with the event recorded first (needed by GraphQL `track`).
    const keyOf = (projectId: string, messageId: string) => `${projectId} ${messageId}`;
    const known = new Map(claimed.map((row) => [keyOf(row.project_id, row.message_id), row.event_id]));
    const repeated = entries.filter((entry) => !known.has(keyOf(entry.projectId, entry.command.messageId)));
    if (repeated.length > 0) {
      const earlier = (await manager.query(
        `SELECT e.project_id, e.message_id, e.event_id FROM event_message_id e
         JOIN unnest($1::uuid[], $2::text[]) AS r(project_id, message_id) USING (project_id, message_id)`,
        [repeated.map((entry) => entry.projectId), repeated.map((entry) => entry.command.messageId)],
      )) as MessageIdClaim[];
      for (const row of earlier) known.set(keyOf(row.project_id, row.message_id), row.event_id);
    }
    const results = group.map(({ projectId, commands }, call) => ({
      inserted: fresh.filter((entry) => entry.call === call).length,
      eventIds: commands.map((command) => known.get(keyOf(projectId, command.messageId))!),
    }));
    return { results, announcements };
  }
}

/** One command of a group with the event id it is stored under if its messageId is new. */
interface PendingEntry extends CommittedEvent {
  /** Index of its call in the group. */
  call: number;
}

interface MessageIdClaim {
  project_id: string;
  message_id: string;
  event_id: string;
}

/** The COPY claiming every entry's messageId: correct when none is repeated (else it fails, see isRepeatedMessageId). */
function claimCopy(entries: readonly PendingEntry[]): Copy {
  return {
    statement: 'COPY event_message_id (project_id, message_id, event_id) FROM STDIN',
    lines: entries.map(({ projectId, command, id }) => `${projectId}\t${copyText(command.messageId)}\t${id}`),
  };
}

/** Claims the messageIds not claimed yet: ON CONFLICT DO NOTHING returns only the new ones. */
function insertClaims(manager: EntityManager, entries: readonly PendingEntry[]): Promise<MessageIdClaim[]> {
  return manager.query(
    `INSERT INTO event_message_id (project_id, message_id, event_id)
     SELECT project_id, message_id, event_id FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS claim(project_id, message_id, event_id)
     ON CONFLICT DO NOTHING
     RETURNING project_id, message_id, event_id`,
    [entries.map((entry) => entry.projectId), entries.map((entry) => entry.command.messageId), entries.map((entry) => entry.id)],
  ) as Promise<MessageIdClaim[]>;
}

/** The COPY claim met a messageId claimed before (a retried batch) or twice in the group. */
function isRepeatedMessageId(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23505' && constraint === 'event_message_id_pkey';
}

const EVENT_COPY = `COPY event (id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at, verified) FROM STDIN`;

/** Each event's row as `COPY event … FROM STDIN` text; formats each entry's `timestamp` for its message too. */
function eventRows(entries: readonly CommittedEvent[]): string[] {
  // A call's events share their sentAt and receivedAt instants: each is formatted once.
  const sentAt = isoFormatter();
  const receivedAt = isoFormatter();
  return entries.map((entry) => {
    const { id, projectId, command: c } = entry;
    entry.timestamp = c.timestamp.toISOString();
    return [
      id,
      projectId,
      c.profileId ?? NULL,
      copyText(c.messageId),
      c.type,
      copyText(c.name),
      c.userId === null ? NULL : copyText(c.userId),
      c.anonymousId === null ? NULL : copyText(c.anonymousId),
      copyJson(c.properties),
      c.context === null ? NULL : copyJson(c.context),
      entry.timestamp,
      c.sentAt === null ? NULL : sentAt(c.sentAt),
      receivedAt(c.receivedAt),
      c.verified ? 't' : 'f',
    ].join('\t');
  });
}

/** `Date#toISOString` remembering its last instant (formatting costs about a microsecond). */
function isoFormatter(): (date: Date) => string {
  let time = NaN;
  let text = '';
  return (date) => {
    if (date.getTime() !== time) {
      time = date.getTime();
      text = date.toISOString();
    }
    return text;
  };
}

/** COPY text format: `\N` is NULL; backslash, newline, carriage return and tab are escaped. */
const NULL = '\\N';
const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIALS = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** (Tested first: identifiers rarely hold one, and a replace with a callback costs even when nothing matches.) */
function copyText(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (special) => COPY_ESCAPES[special]!) : value;
}

/** JSON.stringify never emits raw control characters, so only its backslashes need escaping. */
function copyJson(value: Record<string, unknown>): string {
  const json = JSON.stringify(value);
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}
