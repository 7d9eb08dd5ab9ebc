import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileChanged, type MessageOf } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';

export const PROFILE_ZONES_DURABLE = 'campaigns-profile-zones';

/** Profiles whose zone was first learnt or changed, by project (null: the zone was removed, the project's applies). */
export type ZoneChanges = Map<string, { profileId: string; timeZone: string | null }[]>;
type ZoneChangeListener = (manager: EntityManager, changes: ZoneChanges) => Promise<void>;

/**
 * Each profile's own time zone and country (`campaign_profile_zone`), from profiles' ProfileChanged
 * snapshots (the latest `updatedAt` wins): sends at a local time in each profile's zone (a profile
 * without one gets the project's), and the public holidays of its country (its `country` property,
 * an ISO 3166-1 alpha-2 code).
 */
@Injectable()
export class ProfileZones {
  private readonly listeners: ZoneChangeListener[] = [];

  constructor(lifecycle: MessagingLifecycle) {
    lifecycle.register({
      durable: PROFILE_ZONES_DURABLE,
      contract: ProfileChanged,
      handle: (body, { manager }) => this.apply(manager, [body]),
      handleBatch: (messages, manager) => this.apply(manager, messages.map((message) => message.body)),
    });
  }

  /** Called in the consumer's transaction with the profiles whose zone was first learnt or changed (sends at a local time follow them). */
  onZoneChange(listener: ZoneChangeListener): void {
    this.listeners.push(listener);
  }

  async apply(manager: EntityManager, snapshots: readonly MessageOf<typeof ProfileChanged>[]): Promise<void> {
    const changes: ZoneChanges = new Map();
    for (const snapshot of snapshots) {
      const zone = snapshot.attributes.timeZone && isTimeZone(snapshot.attributes.timeZone) ? snapshot.attributes.timeZone : null;
      const country = typeof snapshot.properties.country === 'string' && /^[A-Za-z]{2}$/.test(snapshot.properties.country) ? snapshot.properties.country.toUpperCase() : null;
      const [row] = (await manager.query(
        `WITH before AS (SELECT time_zone FROM campaign_profile_zone WHERE project_id = $1 AND profile_id = $2)
         INSERT INTO campaign_profile_zone AS z (project_id, profile_id, time_zone, country, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (project_id, profile_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, country = EXCLUDED.country, updated_at = EXCLUDED.updated_at
         WHERE z.updated_at < EXCLUDED.updated_at
         RETURNING NOT EXISTS (SELECT 1 FROM before) AND z.time_zone IS NOT NULL OR EXISTS (SELECT 1 FROM before b WHERE b.time_zone IS DISTINCT FROM z.time_zone) AS moved`,
        [snapshot.projectId, snapshot.profileId, zone, country, snapshot.updatedAt],
      )) as { moved: boolean }[];
      if (row?.moved && this.listeners.length > 0) {
        const list = changes.get(snapshot.projectId) ?? [];
        list.push({ profileId: snapshot.profileId, timeZone: zone });
        changes.set(snapshot.projectId, list);
      }
    }
    if (changes.size > 0) for (const listener of this.listeners) await listener(manager, changes);
  }

  /** Zone and country of each of these profiles that has a row. */
  async placesOf(manager: EntityManager, projectId: string, profileIds: readonly string[]): Promise<Map<string, { timeZone: string | null; country: string | null }>> {
    const rows = (await manager.query(`SELECT profile_id, time_zone, country FROM campaign_profile_zone WHERE project_id = $1 AND profile_id = ANY($2::uuid[])`, [
      projectId,
      profileIds,
    ])) as { profile_id: string; time_zone: string | null; country: string | null }[];
    return new Map(rows.map((row) => [row.profile_id, { timeZone: row.time_zone, country: row.country }]));
  }

  /** The distinct zones of the project's profiles (null: profiles without a zone). */
  async zonesOf(manager: EntityManager, projectId: string): Promise<string[]> {
    const rows = (await manager.query(`SELECT DISTINCT time_zone FROM campaign_profile_zone WHERE project_id = $1 AND time_zone IS NOT NULL`, [projectId])) as { time_zone: string }[];
    return rows.map((row) => row.time_zone);
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
