import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { CursorPosition, Page } from '@boomerang/platform/subgraph';
import type { ConditionSql } from '../properties/property-filter.js';
import { ProfileEntity } from './profile.entity.js';
import type { ProfileSnapshotRow } from './profile-snapshot.js';
import type { Consent } from './profile-traits.js';

/** A profile row as a batch reads it under its lock: what the batch's update merges into. */
export interface BatchLockedProfile {
  id: string;
  mergedInto: string | null;
  externalId: string | null;
  anonymousId: string | null;
  properties: Record<string, unknown>;
  verifiedFields: string[];
}

/** A profile a batch creates, named by the user or anonymous id it was first seen with. */
export interface NewBatchProfile {
  id: string;
  externalId: string | null;
  anonymousId: string | null;
}

/** What a batch changes on one profile; null leaves a column as it is, and the ids only fill empty ones. */
export interface ProfileBatchUpdate {
  id: string;
  externalId: string | null;
  anonymousId: string | null;
  properties: Record<string, unknown> | null;
  /** Channels replaced in the profile's consent. */
  consent: Consent | null;
  email: string | null;
  phone: string | null;
  name: string | null;
  timeZone: string | null;
  locale: string | null;
  verifiedFields: string[] | null;
}

/** Contact columns a profile takes from identities it gains, where it has none yet. */
export interface ContactColumns {
  externalId: string | null;
  anonymousId: string | null;
  email: string | null;
  phone: string | null;
}

/** The columns erasure reads from each row it deletes: the identities they name. */
export interface ErasedProfile extends ContactColumns {
  id: string;
}

/** One page of `profiles`: filters already checked and put in their stored form by the caller. */
export interface ProfilePageQuery {
  first: number;
  after: CursorPosition | null;
  hasUserId?: boolean | null;
  /** Top-level properties that must equal these values (as their property stores them). */
  propertyEquals: [name: string, stored: unknown][];
  /** Typed property conditions (properties/property-filter.ts, alias `profile`). */
  conditions: ConditionSql[];
}

/** `updated_at` after a write: now, but past the stored one (ms precision), so it moves on every change whatever the clocks say. */
const nextUpdatedAt = (at: string, alias = 'profile') => `GREATEST(${at}::timestamptz, date_trunc('milliseconds', ${alias}.updated_at) + interval '1 millisecond')`;

/** The columns a snapshot is built from (profile-snapshot.ts). */
const SNAPSHOT_COLUMNS = 'id, project_id, external_id, properties, email, phone, name, time_zone, locale, consent, created_at, updated_at';

/** What a snapshot holds but `updatedAt` (profile-snapshot.ts), as one value: a write that leaves it equal changes no snapshot. */
const snapshotContent = (alias: string) =>
  `jsonb_build_array(${alias}.external_id, ${alias}.properties, ${alias}.email, ${alias}.phone, ${alias}.name, ${alias}.time_zone, ${alias}.locale,
     ${alias}.consent #> '{email,subscribed}', ${alias}.consent #> '{sms,subscribed}', ${alias}.consent #> '{push,subscribed}',
     ${alias}.consent #> '{whatsapp,subscribed}', ${alias}.consent #> '{phone,dnd}')`;

interface SnapshotColumns {
  id: string;
  project_id: string;
  external_id: string | null;
  properties: Record<string, unknown>;
  email: string | null;
  phone: string | null;
  name: string | null;
  time_zone: string | null;
  locale: string | null;
  consent: Consent | null;
  created_at: Date;
  updated_at: Date;
}

const snapshotRowOf = (row: SnapshotColumns): ProfileSnapshotRow => ({
  id: row.id,
  projectId: row.project_id,
  externalId: row.external_id,
  properties: row.properties,
  email: row.email,
  phone: row.phone,
  name: row.name,
  timeZone: row.time_zone,
  locale: row.locale,
  consent: row.consent,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

/**
 * SQL for `profile`: the one place its rows are read for update and written. Every statement is
 * scoped by project (but `liveIdsOfEveryProject` and `liveSnapshotsOfEveryProject`, which serve
 * them all); those that lock or write take the caller's transaction.
 */
@Injectable()
export class ProfileRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Locks the live profiles among `ids` for the rest of the transaction, in id order (no crosswise waits). */
  lockLive(manager: EntityManager, projectId: string, ids: readonly string[]): Promise<ProfileEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return manager
      .getRepository(ProfileEntity)
      .createQueryBuilder('profile')
      .setLock('pessimistic_write')
      .where('profile.project_id = :projectId', { projectId })
      .andWhere('profile.id = ANY(:ids::uuid[])', { ids })
      .andWhere('profile.merged_into IS NULL')
      .orderBy('profile.id', 'ASC')
      .getMany();
  }

  /**
   * Locks the rows of `ids` in id order (as `lockLive`), merged ones included so the caller sees
   * they were merged, with only the columns a batch update merges into.
   */
  async lockForBatch(manager: EntityManager, projectId: string, ids: readonly string[]): Promise<BatchLockedProfile[]> {
    if (ids.length === 0) return [];
    const rows = (await manager.query(
      `SELECT id, merged_into, external_id, anonymous_id, properties, verified_fields FROM profile WHERE project_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [projectId, ids],
    )) as { id: string; merged_into: string | null; external_id: string | null; anonymous_id: string | null; properties: Record<string, unknown>; verified_fields: string[] }[];
    return rows.map((row) => ({
      id: row.id,
      mergedInto: row.merged_into,
      externalId: row.external_id,
      anonymousId: row.anonymous_id,
      properties: row.properties,
      verifiedFields: row.verified_fields,
    }));
  }

  /** Locks the profile and the tombstones merged into it, in id order, with the identities their columns name. */
  async lockWithTombstones(manager: EntityManager, projectId: string, id: string): Promise<ErasedProfile[]> {
    const rows = (await manager.query(
      `SELECT id, external_id, anonymous_id, email, phone FROM profile WHERE project_id = $1 AND (id = $2 OR merged_into = $2) ORDER BY id FOR UPDATE`,
      [projectId, id],
    )) as { id: string; external_id: string | null; anonymous_id: string | null; email: string | null; phone: string | null }[];
    return rows.map((row) => ({ id: row.id, externalId: row.external_id, anonymousId: row.anonymous_id, email: row.email, phone: row.phone }));
  }

  /** Saves a new profile through TypeORM, which reads the column defaults back into it. */
  insert(manager: EntityManager, profile: ProfileEntity): Promise<ProfileEntity> {
    return manager.getRepository(ProfileEntity).save(profile);
  }

  /**
   * Inserts the profile unless another one of the project has its external id; false then.
   * ON CONFLICT rather than a violation: a failed statement is logged with its parameters, personal data included.
   */
  async insertIfExternalIdFree(manager: EntityManager, profile: ProfileEntity, verifiedFields: readonly string[]): Promise<boolean> {
    const inserted = (await manager.query(
      `INSERT INTO profile (id, project_id, external_id, anonymous_id, email, phone, name, properties, created_at, updated_at, verified_fields)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9, $10::text[])
       ON CONFLICT (project_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
       RETURNING id`,
      [
        profile.id,
        profile.projectId,
        profile.externalId,
        profile.anonymousId,
        profile.email,
        profile.phone,
        profile.name,
        JSON.stringify(profile.properties),
        profile.createdAt,
        verifiedFields,
      ],
    )) as { id: string }[];
    return inserted.length > 0;
  }

  /** Inserts a batch's new profiles (empty properties) in one statement. */
  async insertMany(manager: EntityManager, projectId: string, profiles: readonly NewBatchProfile[], at: Date): Promise<void> {
    if (profiles.length === 0) return;
    const rows = profiles.map((profile) => ({ id: profile.id, external_id: profile.externalId, anonymous_id: profile.anonymousId }));
    await manager.query(
      `INSERT INTO profile (id, project_id, external_id, anonymous_id, properties, created_at, updated_at)
       SELECT id, $1, external_id, anonymous_id, '{}', $3, $3 FROM json_to_recordset($2::json) AS p (id uuid, external_id text, anonymous_id text)`,
      [projectId, JSON.stringify(rows), at],
    );
  }

  /**
   * Writes a batch's changes to its profiles (rows locked by the caller) in one statement, leaving
   * alone the rows they would not change; returns the ids whose snapshot changed.
   */
  async applyBatchUpdates(manager: EntityManager, projectId: string, updates: readonly ProfileBatchUpdate[], at: Date): Promise<string[]> {
    if (updates.length === 0) return [];
    const rows = updates.map((update) => ({
      id: update.id,
      properties: update.properties,
      consent: update.consent,
      email: update.email,
      phone: update.phone,
      name: update.name,
      time_zone: update.timeZone,
      locale: update.locale,
      external_id: update.externalId,
      anonymous_id: update.anonymousId,
      verified_fields: update.verifiedFields,
    }));
    const [written] = (await manager.query(
      `WITH n AS (
         SELECT p.id, COALESCE(u.properties, p.properties) AS properties, p.consent || COALESCE(u.consent, '{}') AS consent,
           COALESCE(u.email, p.email) AS email, COALESCE(u.phone, p.phone) AS phone, COALESCE(u.name, p.name) AS name,
           COALESCE(u.time_zone, p.time_zone) AS time_zone, COALESCE(u.locale, p.locale) AS locale,
           COALESCE(p.external_id, u.external_id) AS external_id, COALESCE(p.anonymous_id, u.anonymous_id) AS anonymous_id,
           COALESCE(u.verified_fields, p.verified_fields) AS verified_fields, ${snapshotContent('p')} AS snapshot_before
         FROM profile AS p JOIN json_to_recordset($2::json)
           AS u (id uuid, properties jsonb, consent jsonb, email text, phone text, name text, time_zone text, locale text, external_id text, anonymous_id text,
                 verified_fields text[]) ON u.id = p.id
         WHERE p.project_id = $1)
       UPDATE profile AS p SET properties = n.properties, consent = n.consent, email = n.email, phone = n.phone, name = n.name,
         time_zone = n.time_zone, locale = n.locale, external_id = n.external_id, anonymous_id = n.anonymous_id,
         verified_fields = n.verified_fields, updated_at = ${nextUpdatedAt('$3', 'p')}
       FROM n
       WHERE p.id = n.id AND p.project_id = $1
         AND (p.properties, p.consent, p.email, p.phone, p.name, p.time_zone, p.locale, p.external_id, p.anonymous_id, p.verified_fields)
           IS DISTINCT FROM (n.properties, n.consent, n.email, n.phone, n.name, n.time_zone, n.locale, n.external_id, n.anonymous_id, n.verified_fields)
       RETURNING p.id, ${snapshotContent('p')} IS DISTINCT FROM n.snapshot_before AS snapshot_changed`,
      [projectId, JSON.stringify(rows), at],
    )) as [{ id: string; snapshot_changed: boolean }[], number];
    return written.filter((row) => row.snapshot_changed).map((row) => row.id);
  }

  /**
   * Shallow-merges `properties` into the profile's (a merged id: its survivor's) and marks `verifiedFields`;
   * returns the id of the profile written, null when there is none.
   */
  async mergeProperties(
    manager: EntityManager,
    projectId: string,
    id: string,
    properties: Record<string, unknown>,
    verifiedFields: readonly string[],
    at: Date,
  ): Promise<string | null> {
    const [rows] = (await manager.query(
      `UPDATE profile SET properties = properties || $3::jsonb, updated_at = ${nextUpdatedAt('$4')},
         verified_fields = ARRAY(SELECT DISTINCT unnest(verified_fields || $5::text[]))
       WHERE id = (SELECT COALESCE(merged_into, id) FROM profile WHERE id = $1 AND project_id = $2) AND project_id = $2 RETURNING id`,
      [id, projectId, JSON.stringify(properties), at, verifiedFields],
    )) as [{ id: string }[], number];
    return rows[0]?.id ?? null;
  }

  /** Fills the profile's empty contact columns from identities it just gained. */
  async fillContactColumns(manager: EntityManager, projectId: string, id: string, contacts: ContactColumns, at: Date): Promise<void> {
    await manager.query(
      `UPDATE profile SET external_id = COALESCE(external_id, $2), anonymous_id = COALESCE(anonymous_id, $3),
         email = COALESCE(email, $4), phone = COALESCE(phone, $5), updated_at = ${nextUpdatedAt('$6')}
       WHERE id = $1 AND project_id = $7`,
      [id, contacts.externalId, contacts.anonymousId, contacts.email, contacts.phone, at, projectId],
    );
  }

  /**
   * Makes `mergedId` a tombstone of `survivorId` (personal columns cleared, which frees its external id)
   * and re-points the tombstones that pointed at it.
   */
  async tombstone(manager: EntityManager, projectId: string, mergedId: string, survivorId: string, at: Date): Promise<void> {
    await manager.query(
      `UPDATE profile SET merged_into = $2, merged_at = $3, updated_at = ${nextUpdatedAt('$3')},
         external_id = NULL, anonymous_id = NULL, email = NULL, phone = NULL, name = NULL, time_zone = NULL, locale = NULL, properties = '{}'
       WHERE id = $1 AND project_id = $4`,
      [mergedId, survivorId, at, projectId],
    );
    await manager.query(`UPDATE profile SET merged_into = $2 WHERE project_id = $3 AND merged_into = $1`, [mergedId, survivorId, projectId]);
  }

  /**
   * The survivor takes the merged profile's columns where it has none and its properties where it
   * lacks them; `consent` replaces its consent and `verifiedFields` join its own.
   */
  async absorb(
    manager: EntityManager,
    projectId: string,
    survivorId: string,
    merged: ProfileEntity,
    consent: Consent,
    verifiedFields: readonly string[],
    at: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE profile SET external_id = COALESCE(external_id, $2), anonymous_id = COALESCE(anonymous_id, $3),
         email = COALESCE(email, $4), phone = COALESCE(phone, $5), name = COALESCE(name, $6),
         properties = $7::jsonb || properties, consent = $9::jsonb, updated_at = ${nextUpdatedAt('$8')},
         time_zone = COALESCE(time_zone, $10), locale = COALESCE(locale, $11),
         verified_fields = ARRAY(SELECT DISTINCT unnest(verified_fields || $12::text[]))
       WHERE id = $1 AND project_id = $13`,
      [
        survivorId,
        merged.externalId,
        merged.anonymousId,
        merged.email,
        merged.phone,
        merged.name,
        JSON.stringify(merged.properties),
        at,
        JSON.stringify(consent),
        merged.timeZone,
        merged.locale,
        verifiedFields,
        projectId,
      ],
    );
  }

  /** Deletes the rows (GDPR erasure). */
  async erase(manager: EntityManager, projectId: string, ids: readonly string[]): Promise<void> {
    await manager.query(`DELETE FROM profile WHERE project_id = $1 AND id = ANY($2::uuid[])`, [projectId, ids]);
  }

  /** The snapshot columns of the live profiles among `ids`, in id order, as the transaction sees them. */
  async snapshotRows(manager: EntityManager, projectId: string, ids: readonly string[]): Promise<ProfileSnapshotRow[]> {
    if (ids.length === 0) return [];
    const rows = (await manager.query(
      `SELECT ${SNAPSHOT_COLUMNS} FROM profile WHERE project_id = $1 AND id = ANY($2::uuid[]) AND merged_into IS NULL ORDER BY id`,
      [projectId, ids],
    )) as SnapshotColumns[];
    return rows.map(snapshotRowOf);
  }

  /** The profile's own id, or the one it was merged into; null when the project has no such profile. */
  async survivorIdOf(manager: EntityManager, projectId: string, id: string): Promise<string | null> {
    const [row] = (await manager.query(`SELECT COALESCE(merged_into, id) AS id FROM profile WHERE id = $1 AND project_id = $2`, [id, projectId])) as {
      id: string;
    }[];
    return row?.id ?? null;
  }

  /** `survivorIdOf` for several ids at once: id → its own id or the one it was merged into (absent: the project has no such profile). */
  async survivorIdsOf(manager: EntityManager, projectId: string, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = (await manager.query(`SELECT id, COALESCE(merged_into, id) AS survivor FROM profile WHERE project_id = $1 AND id = ANY($2::uuid[])`, [projectId, ids])) as {
      id: string;
      survivor: string;
    }[];
    return new Map(rows.map((row) => [row.id, row.survivor]));
  }

  /** The row as the transaction sees it now. */
  reload(manager: EntityManager, projectId: string, id: string): Promise<ProfileEntity> {
    return manager.getRepository(ProfileEntity).findOneByOrFail({ id, projectId });
  }

  /** The rows of `ids` (uuids only), tombstones included, in no particular order. */
  findByIds(projectId: string, ids: readonly string[]): Promise<ProfileEntity[]> {
    return this.dataSource.getRepository(ProfileEntity).findBy({ id: In(ids as string[]), projectId });
  }

  /** The tombstones merged into the profile, in merge order. */
  async tombstonesOf(projectId: string, survivorId: string): Promise<{ id: string; mergedAt: Date }[]> {
    const rows = (await this.dataSource.query(`SELECT id, merged_at FROM profile WHERE project_id = $1 AND merged_into = $2 ORDER BY merged_at, id`, [
      projectId,
      survivorId,
    ])) as { id: string; merged_at: Date }[];
    return rows.map((row) => ({ id: row.id, mergedAt: new Date(row.merged_at) }));
  }

  /** One page of live profiles ordered by (createdAt, id); reads one extra row to know whether more follow. */
  async page(projectId: string, { first, after, hasUserId, propertyEquals, conditions }: ProfilePageQuery): Promise<Page<ProfileEntity>> {
    const query = this.dataSource
      .getRepository(ProfileEntity)
      .createQueryBuilder('profile')
      .where('profile.project_id = :projectId', { projectId })
      .andWhere('profile.merged_into IS NULL')
      .orderBy('profile.created_at', 'ASC')
      .addOrderBy('profile.id', 'ASC')
      .limit(first + 1);
    if (after) query.andWhere('(profile.created_at, profile.id) > (:at::timestamptz, :id::uuid)', { at: after.at.toISOString(), id: after.id });
    if (hasUserId != null) query.andWhere(`profile.external_id IS ${hasUserId ? 'NOT NULL' : 'NULL'}`);
    propertyEquals.forEach(([key, stored], n) => {
      query.andWhere(`profile.properties -> :key${n} = :value${n}::jsonb`, { [`key${n}`]: key, [`value${n}`]: JSON.stringify(stored) });
    });
    for (const { sql, params } of conditions) query.andWhere(sql, params);
    const rows = await query.getMany();
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** The one read across projects: a page of live profile ids of every project, in id order (ListProfileIds). */
  async liveIdsOfEveryProject(after: string | null, limit: number): Promise<{ id: string; projectId: string }[]> {
    const rows = (await this.dataSource.query(
      `SELECT id, project_id FROM profile WHERE merged_into IS NULL AND ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
      [after, limit],
    )) as { id: string; project_id: string }[];
    return rows.map((row) => ({ id: row.id, projectId: row.project_id }));
  }

  /** A page of live profiles of every project as snapshot rows, in id order (ListProfileSnapshots). */
  async liveSnapshotsOfEveryProject(after: string | null, limit: number): Promise<ProfileSnapshotRow[]> {
    const rows = (await this.dataSource.query(
      `SELECT ${SNAPSHOT_COLUMNS} FROM profile WHERE merged_into IS NULL AND ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
      [after, limit],
    )) as SnapshotColumns[];
    return rows.map(snapshotRowOf);
  }
}
