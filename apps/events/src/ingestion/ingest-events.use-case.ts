import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { EventIngested, type MessageOf } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { ProfileLinks } from '../profile-sync/profile-links.js';
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
 * grouped: ONE transaction, in a fixed number of statements whatever the group's size, looks up
 * the profiles of the identities, claims the messageIds in `event_message_id` (ON CONFLICT DO
 * NOTHING tells which are new) and inserts only the new events in one statement, and enqueues
 * their EventIngested messages as one outbox row per project. Each call resolves only after
 * that commit. A retried batch records and publishes nothing twice; a crash before commit
 * records nothing; a group that fails is retried call by call, so one bad call fails alone.
 */
@Injectable()
export class IngestEvents {
  private readonly queue: PendingIngest[] = [];
  private running = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
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
      const results = await this.dataSource.transaction((manager) => this.executeIn(manager, group));
      group.forEach((call, i) => call.resolve(results[i]!));
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      for (const call of group) {
        await this.dataSource.transaction((manager) => this.executeIn(manager, [call])).then(([result]) => call.resolve(result!), call.reject);
      }
    }
  }

  private async executeIn(manager: EntityManager, group: readonly PendingIngest[]): Promise<IngestEventsResult[]> {
    const entries = group.flatMap(({ projectId, commands }, call) => commands.map((command) => ({ call, projectId, command, id: randomUUID() })));
    // SDK events name a user or anonymous id; attach them to the profile already known for it.
    // (Looked up for the whole group first, so the claim and the insert can be one statement.)
    for (const projectId of new Set(group.map((call) => call.projectId))) {
      const unresolved = entries.filter((entry) => entry.projectId === projectId && !entry.command.profileId);
      const owners = await this.profileLinks.resolve(manager, projectId, unresolved.map(({ command }) => command));
      unresolved.forEach((entry, i) => {
        if (owners[i]) entry.command = { ...entry.command, profileId: owners[i] };
      });
    }
    // Claims the messageIds (ON CONFLICT DO NOTHING tells which are new) and inserts only the
    // events whose claim succeeded, in one statement. The rows go as ONE json parameter (one
    // JSON.stringify of the group, parsed once by PostgreSQL) rather than a dozen array
    // literals with every JSON document escaped in them.
    const rows = entries.map(({ projectId, command: c, id }) => ({
      id,
      project_id: projectId,
      profile_id: c.profileId,
      message_id: c.messageId,
      type: c.type,
      name: c.name,
      user_id: c.userId,
      anonymous_id: c.anonymousId,
      properties: c.properties,
      context: c.context,
      timestamp: c.timestamp.toISOString(),
      sent_at: c.sentAt?.toISOString() ?? null,
      received_at: c.receivedAt.toISOString(),
    }));
    const claimed = (await manager.query(
      `WITH claim AS (
         INSERT INTO event_message_id (project_id, message_id, event_id)
         SELECT project_id, message_id, event_id FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS claim(project_id, message_id, event_id)
         ON CONFLICT DO NOTHING
         RETURNING project_id, message_id, event_id
       ), stored AS (
         INSERT INTO event (id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at)
         SELECT id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at
         FROM json_to_recordset($4::json)
           AS row(id uuid, project_id uuid, profile_id uuid, message_id text, type text, name text, user_id text, anonymous_id text, properties jsonb,
                  context jsonb, "timestamp" timestamptz, sent_at timestamptz, received_at timestamptz)
         WHERE id IN (SELECT event_id FROM claim)
       )
       SELECT project_id, message_id, event_id FROM claim`,
      [entries.map((entry) => entry.projectId), entries.map((entry) => entry.command.messageId), entries.map((entry) => entry.id), JSON.stringify(rows)],
    )) as MessageIdClaim[];
    const claimedIds = new Set(claimed.map((row) => row.event_id));
    const fresh = entries.filter(({ id }) => claimedIds.has(id));
    if (fresh.length > 0) {
      // One outbox row per project; each message's Nats-Msg-Id is its event id.
      await this.outbox.enqueueMany(
        manager,
        EventIngested,
        fresh.map(({ projectId, command, id }) => ingestedMessage(projectId, id, command)),
        fresh.map(({ id }) => id),
      );
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
    return group.map(({ projectId, commands }, call) => ({
      inserted: fresh.filter((entry) => entry.call === call).length,
      eventIds: commands.map((command) => known.get(keyOf(projectId, command.messageId))!),
    }));
  }
}

interface MessageIdClaim {
  project_id: string;
  message_id: string;
  event_id: string;
}

function ingestedMessage(projectId: string, eventId: string, command: IngestEventCommand): MessageOf<typeof EventIngested> {
  const timestamp = command.timestamp.toISOString();
  return {
    projectId,
    occurredAt: timestamp,
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
  };
}
