import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, EntityManager } from 'typeorm';
import { v7 as timeOrderedUuid } from 'uuid';
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
 * grouped. A group's profiles, COPY rows and messages are prepared first; then ONE transaction, in
 * a fixed number of statements whatever the group's size, claims the messageIds in
 * `event_message_id` (by COPY; when one was claimed before, the group is written again with
 * INSERT … ON CONFLICT DO NOTHING, which tells the new from the repeated), COPYs only the new
 * events in, and records their EventsIngested messages (a few hundred events each; published
 * after the commit by EventAnnouncements). Each call resolves only after that commit. A retried
 * batch records and publishes nothing twice; a crash before commit records nothing; a group that
 * fails is retried call by call, so one bad call fails alone.
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
   * Writes the group in one transaction, answers its calls and announces what it stored. The
   * messageIds are claimed by COPY first (all new: the usual case); a repeated one fails that COPY,
   * and the group is written again with the claim that tells new from repeated. Everything the
   * writes need (profiles, COPY rows, the messages) is prepared before the transaction begins, so
   * a transaction holds PostgreSQL for its writes alone while the next group is being prepared.
   */
  private async commit(group: readonly PendingIngest[], claim: ClaimBy = 'copy'): Promise<void> {
    // Time-ordered ids: the primary key index grows at its right edge (a random id touches any of its pages).
    const entries = group.flatMap(({ projectId, commands }, call) => commands.map((command): PendingEntry => ({ call, projectId, command, id: timeOrderedUuid() })));
    await this.attachProfiles(entries);
    const rows = eventRows(entries);
    // On the COPY claim every event is new, so its messages are known now; otherwise once the claim tells which are.
    const announcements = claim === 'copy' ? this.announcements.prepare(entries) : undefined;
    let written: { results: IngestEventsResult[]; announcements: Announcement[] };
    try {
      written = await this.dataSource.transaction((manager) => this.executeIn(manager, group, entries, rows, claim, announcements));
    } catch (error) {
      if (claim === 'copy' && isRepeatedMessageId(error)) return this.commit(group, 'insert');
      throw error;
    }
    group.forEach((call, i) => call.resolve(written.results[i]!));
    this.announcements.publish(written.announcements);
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

  private async executeIn(
    manager: EntityManager,
    group: readonly PendingIngest[],
    entries: readonly PendingEntry[],
    rows: readonly string[],
    claim: ClaimBy,
    prepared: Announcement[] | undefined,
  ): Promise<{ results: IngestEventsResult[]; announcements: Announcement[] }> {
    // Claims the messageIds in `event_message_id`; only the claimed (new) events are written.
    const claimed = claim === 'copy' ? await copyClaims(manager, entries) : await insertClaims(manager, entries);
    const claimedIds = new Set(claimed.map((row) => row.event_id));
    const fresh = entries.filter(({ id }) => claimedIds.has(id));
    // The new events are written by COPY (PostgreSQL's bulk path: no per-row statement, the JSON
    // columns parsed once), and their EventsIngested messages recorded (see EventAnnouncements).
    let announcements: Announcement[] = [];
    if (fresh.length > 0) {
      await copyRows(manager, `COPY event (${EVENT_COLUMNS}) FROM STDIN`, fresh.length === entries.length ? rows : entries.flatMap((entry, i) => (claimedIds.has(entry.id) ? [rows[i]!] : [])));
      announcements = prepared ?? this.announcements.prepare(fresh);
      await this.announcements.record(manager, announcements);
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

/** How a group claims its messageIds: COPY (fails on any repeated one) or INSERT … ON CONFLICT DO NOTHING (tells which are new). */
type ClaimBy = 'copy' | 'insert';

/** Claims every entry's messageId by COPY: cheaper than INSERT, and correct when none is repeated (else it fails, see isRepeatedMessageId). */
async function copyClaims(manager: EntityManager, entries: readonly PendingEntry[]): Promise<MessageIdClaim[]> {
  await copyRows(
    manager,
    'COPY event_message_id (project_id, message_id, event_id) FROM STDIN',
    entries.map(({ projectId, command, id }) => `${projectId}\t${copyText(command.messageId)}\t${id}`),
  );
  return entries.map(({ projectId, command, id }) => ({ project_id: projectId, message_id: command.messageId, event_id: id }));
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

const EVENT_COLUMNS = `id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at`;

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

/** Runs a `COPY … FROM STDIN` of text-format `lines` on the transaction's connection. */
async function copyRows(manager: EntityManager, statement: string, lines: readonly string[]): Promise<void> {
  const connection = (await manager.queryRunner!.connect()) as pg.PoolClient;
  await pipeline(Readable.from([`${lines.join('\n')}\n`]), connection.query(copyFrom(statement)));
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
