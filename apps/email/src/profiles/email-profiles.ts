import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { ProfileSnapshot } from '@boomerang/contracts';
import { EmailProfileEntity } from './email-profile.entity.js';

/** The email_profile table: email's projection of profiles. */
@Injectable()
export class EmailProfiles {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Keeps each profile's newest snapshot (by updatedAt; on a tie the later message wins); erased profiles stay erased. */
  async upsert(manager: EntityManager, projectId: string, snapshots: readonly ProfileSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    // One row per profile per statement (ON CONFLICT cannot touch a row twice): the newest of the batch.
    const newest = new Map<string, ProfileSnapshot>();
    for (const snapshot of snapshots) {
      const held = newest.get(snapshot.profileId);
      if (!held || Date.parse(held.updatedAt) <= Date.parse(snapshot.updatedAt)) newest.set(snapshot.profileId, snapshot);
    }
    const rows = [...newest.values()];
    await manager.query(
      `INSERT INTO email_profile (project_id, profile_id, email, email_subscribed, name, time_zone, locale, properties, updated_at)
       SELECT $1, profile_id, email, email_subscribed, name, time_zone, locale, properties, updated_at
       FROM unnest($2::uuid[], $3::text[], $4::boolean[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::timestamptz[])
         AS snapshot (profile_id, email, email_subscribed, name, time_zone, locale, properties, updated_at)
       ON CONFLICT (project_id, profile_id) DO UPDATE SET
         email = EXCLUDED.email, email_subscribed = EXCLUDED.email_subscribed, name = EXCLUDED.name, time_zone = EXCLUDED.time_zone,
         locale = EXCLUDED.locale, properties = EXCLUDED.properties, updated_at = EXCLUDED.updated_at
       WHERE NOT email_profile.erased AND email_profile.updated_at <= EXCLUDED.updated_at`,
      [
        projectId,
        rows.map((row) => row.profileId),
        rows.map((row) => row.contact.email),
        rows.map((row) => row.attributes.emailSubscribed),
        rows.map((row) => row.attributes.name),
        rows.map((row) => row.attributes.timeZone),
        rows.map((row) => row.attributes.locale),
        rows.map((row) => JSON.stringify(row.properties)),
        rows.map((row) => row.updatedAt),
      ],
    );
  }

  /** Deleted or merged away: the personal data goes, a tombstone stays so no late snapshot revives it. */
  async erase(manager: EntityManager, projectId: string, profileId: string): Promise<void> {
    await manager.query(
      `INSERT INTO email_profile (project_id, profile_id, erased, updated_at) VALUES ($1, $2, true, 'infinity')
       ON CONFLICT (project_id, profile_id) DO UPDATE SET
         email = NULL, email_subscribed = NULL, name = NULL, time_zone = NULL, locale = NULL, properties = '{}'::jsonb, erased = true, updated_at = 'infinity'`,
      [projectId, profileId],
    );
  }

  /** The profile, unless unknown or erased. */
  async find(projectId: string, profileId: string, manager: EntityManager = this.dataSource.manager): Promise<EmailProfileEntity | null> {
    return manager.getRepository(EmailProfileEntity).findOneBy({ projectId, profileId, erased: false });
  }
}
