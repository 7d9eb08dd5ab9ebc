import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileChanged, type ProfileSnapshot } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import { SETTINGS_LOCK } from './analytics-settings.js';

export const ANALYTICS_PROFILE_CHANGED_DURABLE = 'events-analytics-profile-changed';

/**
 * What analytics knows of profiles: their custom properties (`analytics_profile`), the newest
 * ProfileChanged snapshot of each, for questions filtered or broken down by a profile property.
 * Merges and erasures remove the gone profile's row (`Rollups.merge` / `erase`; the survivor's
 * own snapshot follows its merge). Profiles that changed before this consumer existed come from
 * AnalyticsProfileBackfill.
 */
@Injectable()
export class AnalyticsProfiles {
  constructor(lifecycle: MessagingLifecycle) {
    lifecycle.register({
      durable: ANALYTICS_PROFILE_CHANGED_DURABLE,
      contract: ProfileChanged,
      handle: (body, { manager }) => this.record(manager, body.projectId, [body]),
      handleBatch: async (messages, manager) => {
        const byProject = new Map<string, ProfileSnapshot[]>();
        for (const { body } of messages) byProject.set(body.projectId, [...(byProject.get(body.projectId) ?? []), body]);
        for (const [projectId, snapshots] of [...byProject].sort(([a], [b]) => a.localeCompare(b))) await this.record(manager, projectId, snapshots);
      },
    });
  }

  /** Keeps the newest snapshot of each profile (a merged or erased profile's late snapshot is not brought back). */
  async record(manager: EntityManager, projectId: string, snapshots: readonly ProfileSnapshot[]): Promise<void> {
    // As the rollups' folds: a merge or erasure (exclusive) never commits between the gone check below and this row.
    await manager.query(`SELECT pg_advisory_xact_lock_shared(${SETTINGS_LOCK})`, [projectId]);
    const newest = new Map<string, ProfileSnapshot>();
    for (const snapshot of snapshots) {
      const known = newest.get(snapshot.profileId);
      if (!known || Date.parse(snapshot.updatedAt) >= Date.parse(known.updatedAt)) newest.set(snapshot.profileId, snapshot);
    }
    const list = [...newest.values()].sort((a, b) => a.profileId.localeCompare(b.profileId));
    await manager.query(
      `INSERT INTO analytics_profile (project_id, profile_id, properties, updated_at)
       SELECT $1, s.profile_id, s.properties, s.updated_at FROM unnest($2::uuid[], $3::jsonb[], $4::timestamptz[]) AS s (profile_id, properties, updated_at)
       WHERE NOT EXISTS (SELECT 1 FROM analytics_profile_gone g WHERE g.project_id = $1 AND g.profile_id = s.profile_id)
       ON CONFLICT (project_id, profile_id) DO UPDATE SET properties = excluded.properties, updated_at = excluded.updated_at
       WHERE analytics_profile.updated_at <= excluded.updated_at`,
      [projectId, list.map((s) => s.profileId), list.map((s) => JSON.stringify(s.properties)), list.map((s) => s.updatedAt)],
    );
  }
}
