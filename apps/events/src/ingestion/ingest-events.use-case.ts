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
 * the batch size: claims the messageIds in `event_message_id` (ON CONFLICT DO NOTHING tells
 * which are new), inserts only the new events, and enqueues one EventIngested per new event.
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
    const ids = commands.map(() => randomUUID());
    const claimed = (await manager.query(
      `INSERT INTO event_message_id (project_id, message_id, event_id)
       SELECT $1, message_id, event_id FROM unnest($2::text[], $3::uuid[]) AS claim(message_id, event_id)
       ON CONFLICT DO NOTHING
       RETURNING message_id, event_id`,
      [projectId, commands.map((command) => command.messageId), ids],
    )) as { message_id: string; event_id: string }[];
    const claimedIds = new Set(claimed.map((row) => row.event_id));
    const fresh = commands.map((command, i) => ({ command, id: ids[i]! })).filter(({ id }) => claimedIds.has(id));

    if (fresh.length > 0) {
      // SDK events name a user or anonymous id; attach them to the profile already known for it.
      const unresolved = fresh.filter(({ command }) => !command.profileId);
      const owners = await this.profileLinks.resolve(manager, projectId, unresolved.map(({ command }) => command));
      unresolved.forEach((entry, i) => {
        if (owners[i]) entry.command = { ...entry.command, profileId: owners[i] };
      });
      const column = <T>(pick: (command: IngestEventCommand) => T) => fresh.map(({ command }) => pick(command));
      const json = (value: Record<string, unknown> | null) => (value === null ? null : JSON.stringify(value));
      await manager.query(
        `INSERT INTO event (id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at)
         SELECT id, $1, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at
         FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::jsonb[],
                     $11::timestamptz[], $12::timestamptz[], $13::timestamptz[])
           AS row(id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at)`,
        [
          projectId,
          fresh.map(({ id }) => id),
          column((c) => c.profileId),
          column((c) => c.messageId),
          column((c) => c.type),
          column((c) => c.name),
          column((c) => c.userId),
          column((c) => c.anonymousId),
          column((c) => JSON.stringify(c.properties)),
          column((c) => json(c.context)),
          column((c) => c.timestamp.toISOString()),
          column((c) => c.sentAt?.toISOString() ?? null),
          column((c) => c.receivedAt.toISOString()),
        ],
      );
      await this.outbox.enqueueMany(
        manager,
        EventIngested,
        fresh.map(({ command, id }) => ingestedMessage(projectId, id, command)),
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
  };
}
