import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { archivedTables } from '../partitions/event-partitions.js';

interface Identities {
  userId: string | null;
  anonymousId: string | null;
}

/**
 * The events service's copy of which profile owns which user and anonymous ids. Kept in step
 * by `profiles` messages; read at ingest (one query per batch) to attach events to profiles.
 */
@Injectable()
export class ProfileLinks {
  /** Profile id for each command's identities (user id wins over anonymous id), or null. */
  async resolve(manager: EntityManager, projectId: string, commands: readonly Identities[]): Promise<(string | null)[]> {
    const userIds = [...new Set(commands.map((c) => c.userId).filter((v): v is string => Boolean(v)))];
    const anonymousIds = [...new Set(commands.map((c) => c.anonymousId).filter((v): v is string => Boolean(v)))];
    if (userIds.length === 0 && anonymousIds.length === 0) return commands.map(() => null);
    const rows = (await manager.query(
      `SELECT kind, value, profile_id FROM profile_link
       WHERE project_id = $1 AND ((kind = 'user_id' AND value = ANY($2::text[])) OR (kind = 'anonymous_id' AND value = ANY($3::text[])))`,
      [projectId, userIds, anonymousIds],
    )) as { kind: string; value: string; profile_id: string }[];
    const owner = new Map(rows.map((row) => [`${row.kind}:${row.value}`, row.profile_id]));
    return commands.map(
      (c) => (c.userId && owner.get(`user_id:${c.userId}`)) || (c.anonymousId && owner.get(`anonymous_id:${c.anonymousId}`)) || null,
    );
  }

  /** Records the identities and attaches the events that were waiting for them. */
  async link(manager: EntityManager, projectId: string, profileId: string, userId: string | null, anonymousIds: readonly string[]): Promise<number> {
    const kinds = [...(userId ? ['user_id'] : []), ...anonymousIds.map(() => 'anonymous_id')];
    const values = [...(userId ? [userId] : []), ...anonymousIds];
    if (values.length === 0) return 0;
    await manager.query(
      `INSERT INTO profile_link (project_id, kind, value, profile_id)
       SELECT $1, kind, value, $2 FROM unnest($3::text[], $4::text[]) AS link(kind, value)
       ON CONFLICT (project_id, kind, value) DO UPDATE SET profile_id = EXCLUDED.profile_id`,
      [projectId, profileId, kinds, values],
    );
    const attached = (await manager.query(
      `UPDATE event SET profile_id = $2
       WHERE project_id = $1 AND profile_id IS NULL AND (user_id = $3 OR anonymous_id = ANY($4::text[]))
       RETURNING id`,
      [projectId, profileId, userId, anonymousIds],
    )) as [unknown[], number];
    return attached[1];
  }

  /** Re-points the merged profile's identities and events (archived months too) to the survivor. */
  async merge(manager: EntityManager, projectId: string, survivorId: string, mergedId: string): Promise<void> {
    await manager.query(`UPDATE profile_link SET profile_id = $2 WHERE project_id = $1 AND profile_id = $3`, [projectId, survivorId, mergedId]);
    for (const table of ['event', ...(await archivedTables(manager))]) {
      await manager.query(`UPDATE "${table}" SET profile_id = $2 WHERE project_id = $1 AND profile_id = $3`, [projectId, survivorId, mergedId]);
    }
  }

  /**
   * GDPR erasure: the profile's events (linked, or still waiting under its ids), in the live
   * table and in every archived month, and its links. Returns how many events were erased.
   */
  async erase(manager: EntityManager, projectId: string, profileId: string): Promise<number> {
    const links = (await manager.query(`DELETE FROM profile_link WHERE project_id = $1 AND profile_id = $2 RETURNING kind, value`, [
      projectId,
      profileId,
    ])) as [{ kind: string; value: string }[], number];
    const rows = links[0];
    const userIds = rows.filter((row) => row.kind === 'user_id').map((row) => row.value);
    const anonymousIds = rows.filter((row) => row.kind === 'anonymous_id').map((row) => row.value);
    const ids: string[] = [];
    // Detached months are out of every query but still hold personal data.
    for (const table of ['event', ...(await archivedTables(manager))]) {
      const deleted = (await manager.query(
        `DELETE FROM "${table}"
         WHERE project_id = $1 AND (profile_id = $2 OR (profile_id IS NULL AND (user_id = ANY($3::text[]) OR anonymous_id = ANY($4::text[]))))
         RETURNING id`,
        [projectId, profileId, userIds, anonymousIds],
      )) as [{ id: string }[], number];
      ids.push(...deleted[0].map((row) => row.id));
    }
    if (ids.length > 0) {
      await manager.query(`DELETE FROM event_message_id WHERE project_id = $1 AND event_id = ANY($2::uuid[])`, [projectId, ids]);
    }
    return ids.length;
  }
}
