import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { isUuid } from '@boomerang/platform/subgraph';
import type { EventRow } from '../events/event.entity.js';
import { archivedTables, PARTITIONS_LOCK_KEY } from '../partitions/event-partitions.js';

/** One stored event as the GDPR export gives it: every column but the project's id. */
export interface ExportedEvent {
  id: string;
  profileId: string | null;
  messageId: string;
  type: string;
  name: string;
  userId: string | null;
  anonymousId: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown> | null;
  timestamp: string;
  sentAt: string | null;
  receivedAt: string;
}

const COLUMNS = `id, project_id, profile_id, message_id, type, name, user_id, anonymous_id, properties, context, "timestamp", sent_at, received_at`;

/** GDPR: the events held on a profile, read from the same places erasure deletes them from. */
@Injectable()
export class EventExport {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The profile's events, oldest first: those linked to it and those still waiting under its
   * user and anonymous ids, in the live table and in every archived month.
   */
  async ofProfile(projectId: string, profileId: string): Promise<ExportedEvent[]> {
    if (!isUuid(profileId)) return [];
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      // Shared with other readers, exclusive to a detach: no month moves to an archive mid-export.
      await manager.query(`SELECT pg_advisory_xact_lock_shared(${PARTITIONS_LOCK_KEY})`);
      const links = (await manager.query(`SELECT kind, value FROM profile_link WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId])) as {
        kind: string;
        value: string;
      }[];
      const userIds = links.filter((link) => link.kind === 'user_id').map((link) => link.value);
      const anonymousIds = links.filter((link) => link.kind === 'anonymous_id').map((link) => link.value);
      const tables = ['event', ...(await archivedTables(manager))];
      const rows = (await manager.query(
        `${tables
          .map(
            (table) => `SELECT ${COLUMNS} FROM "${table}"
             WHERE project_id = $1 AND (profile_id = $2 OR (profile_id IS NULL AND (user_id = ANY($3::text[]) OR anonymous_id = ANY($4::text[]))))`,
          )
          .join(' UNION ALL ')}
         ORDER BY "timestamp", id`,
        [projectId, profileId, userIds, anonymousIds],
      )) as EventRow[];
      return rows.map(exportedEvent);
    });
  }
}

function exportedEvent(row: EventRow): ExportedEvent {
  return {
    id: row.id,
    profileId: row.profile_id,
    messageId: row.message_id,
    type: row.type,
    name: row.name,
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    properties: row.properties,
    context: row.context,
    timestamp: new Date(row.timestamp).toISOString(),
    sentAt: row.sent_at ? new Date(row.sent_at).toISOString() : null,
    receivedAt: new Date(row.received_at).toISOString(),
  };
}
