import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { EventIngested, type MessageOf } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { ProfileLinks } from '../profile-sync/profile-links.js';
import type { IngestEventCommand, IngestEventsResult } from './ingest-event.command.js';

/**
 * The one write path for events. In ONE transaction and a fixed number of statements whatever
 * the batch size: looks up the profiles of the batch's identities, claims the messageIds in
 * `event_message_id` (ON CONFLICT DO NOTHING tells which are new) and inserts only the new
 * events in one statement, and enqueues one EventIngested per new event.
 * A retried batch therefore records and publishes nothing twice; a crash before commit
 * records nothing.
 */
@Injectable()
export class IngestEvents {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly profileLinks: ProfileLinks,
  ) {}

  execute(projectId: string, commands: readonly IngestEventCommand[]): Promise<IngestEventsResult> {
    if (commands.length === 0) return Promise.resolve({ inserted: 0, eventIds: [] });
    return this.dataSource.transaction((manager) => this.executeIn(manager, projectId, commands));
  }

  private async executeIn(manager: EntityManager, projectId: string, commands: readonly IngestEventCommand[]): Promise<IngestEventsResult> {
    // SDK events name a user or anonymous id; attach them to the profile already known for it.
    // (Looked up for the whole batch first, so the claim and the insert can be one statement.)
    const entries = commands.map((command) => ({ command, id: randomUUID() }));
    const unresolved = entries.filter(({ command }) => !command.profileId);
    const owners = await this.profileLinks.resolve(manager, projectId, unresolved.map(({ command }) => command));
    unresolved.forEach((entry, i) => {
      if (owners[i]) entry.command = { ...entry.command, profileId: owners[i] };
    });
    // Claims the messageIds (ON CONFLICT DO NOTHING tells which are new) and inserts only the
    // events whose claim succeeded, in one statement. The rows go as ONE json parameter (one
    // JSON.stringify of the batch, parsed once by PostgreSQL) rather than a dozen array
    // literals with every JSON document escaped in them.
    const rows = entries.map(({ command: c, id }) => ({
      id,
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
         SELECT $1, message_id, event_id FROM unnest($2::text[], $3::uuid[]) AS claim(message_id, event_id)
         ON CONFLICT DO NOTHING
         RETURNING message_id, event_id
       ), stored AS (
         INSERT INTO event (id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at)
         SELECT id, $1, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at
         FROM json_to_recordset($4::json)
           AS row(id uuid, profile_id uuid, message_id text, type text, name text, user_id text, anonymous_id text, properties jsonb, context jsonb,
                  "timestamp" timestamptz, sent_at timestamptz, received_at timestamptz)
         WHERE id IN (SELECT event_id FROM claim)
       )
       SELECT message_id, event_id FROM claim`,
      [projectId, entries.map(({ command }) => command.messageId), entries.map(({ id }) => id), JSON.stringify(rows)],
    )) as { message_id: string; event_id: string }[];
    const claimedIds = new Set(claimed.map((row) => row.event_id));
    const fresh = entries.filter(({ id }) => claimedIds.has(id));
    if (fresh.length > 0) {
      // One outbox row for the batch; each message's Nats-Msg-Id is its event id.
      await this.outbox.enqueueMany(
        manager,
        EventIngested,
        fresh.map(({ command, id }) => ingestedMessage(projectId, id, command)),
        fresh.map(({ id }) => id),
      );
    }

    // Repeated messageIds answer with the event recorded first (needed by GraphQL `track`).
    const known = new Map(claimed.map((row) => [row.message_id, row.event_id]));
    const repeated = commands.filter((command) => !known.has(command.messageId)).map((command) => command.messageId);
    if (repeated.length > 0) {
      const earlier = (await manager.query(
        `SELECT message_id, event_id FROM event_message_id WHERE project_id = $1 AND message_id = ANY($2::text[])`,
        [projectId, repeated],
      )) as { message_id: string; event_id: string }[];
      for (const row of earlier) known.set(row.message_id, row.event_id);
    }
    return { inserted: fresh.length, eventIds: commands.map((command) => known.get(command.messageId)!) };
  }
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
