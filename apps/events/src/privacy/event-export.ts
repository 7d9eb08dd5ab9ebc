import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { isUuid } from '@boomerang/platform/subgraph';
import { eventFromRow, type EventEntity, type EventRow } from '../events/event.entity.js';
import { archivedTables, PARTITIONS_LOCK_KEY } from '../partitions/event-partitions.js';

/** One stored event as the GDPR export gives it: every column but the project's id. */
export type ExportedEvent = Omit<EventEntity, 'projectId'>;

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
      return rows.map((row) => {
        const { projectId: _projectId, ...event } = eventFromRow(row);
        return event;
      });
    });
  }
}

