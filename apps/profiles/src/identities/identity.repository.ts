import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type Identity, identityKey, type IdentityKindValue, ProfileIdentityEntity } from './identity.entity.js';

/** SQL for profile_identity. Every method that writes takes the caller's transaction. */
@Injectable()
export class IdentityRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Serialises resolutions that touch the same identities until the transaction ends. Taken in
   * one global order, so two transactions never wait on each other crosswise.
   */
  async lock(manager: EntityManager, projectId: string, identities: readonly Identity[]): Promise<void> {
    const keys = [...new Set(identities.map((identity) => `${projectId}:${identityKey(identity)}`))].sort();
    if (keys.length === 0) return;
    // One statement; unnest yields the keys in array order, so the locks are taken in that order.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext(key)) FROM unnest($1::text[]) AS key`, [keys]);
  }

  /** Which profile owns each of the identities (`kind:value` → profile id); unknown ones are absent. */
  async owners(manager: EntityManager, projectId: string, identities: readonly Identity[]): Promise<Map<string, string>> {
    if (identities.length === 0) return new Map();
    const rows = (await manager.query(
      `SELECT kind, value, profile_id FROM profile_identity
       WHERE project_id = $1 AND (kind, value) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [projectId, identities.map((identity) => identity.kind), identities.map((identity) => identity.value)],
    )) as { kind: IdentityKindValue; value: string; profile_id: string }[];
    return new Map(rows.map((row) => [identityKey(row), row.profile_id]));
  }

  /** The user id each profile carries (at most one per profile). */
  async userIds(manager: EntityManager, projectId: string, profileIds: readonly string[]): Promise<Map<string, string>> {
    const rows = (await manager.query(
      `SELECT profile_id, value FROM profile_identity WHERE project_id = $1 AND kind = 'user_id' AND profile_id = ANY($2::uuid[])`,
      [projectId, profileIds],
    )) as { profile_id: string; value: string }[];
    return new Map(rows.map((row) => [row.profile_id, row.value]));
  }

  /** Gives the profile the identities nobody owns yet; returns those it gained. */
  async attach(manager: EntityManager, projectId: string, profileId: string, identities: readonly Identity[], at: Date): Promise<Identity[]> {
    if (identities.length === 0) return [];
    return (await manager.query(
      `INSERT INTO profile_identity (project_id, kind, value, profile_id, created_at)
       SELECT $1, kind, value, $2, $3 FROM unnest($4::text[], $5::text[]) AS identity (kind, value)
       ON CONFLICT DO NOTHING RETURNING kind, value`,
      [projectId, profileId, at, identities.map((identity) => identity.kind), identities.map((identity) => identity.value)],
    )) as Identity[];
  }

  /** Gives each identity nobody owns yet to its own profile (a batch's); returns how many were given. */
  async attachMany(manager: EntityManager, projectId: string, identities: readonly (Identity & { profileId: string })[], at: Date): Promise<number> {
    if (identities.length === 0) return 0;
    const inserted = (await manager.query(
      `INSERT INTO profile_identity (project_id, kind, value, profile_id, created_at)
       SELECT $1, kind, value, profile_id, $2 FROM unnest($3::text[], $4::text[], $5::uuid[]) AS identity (kind, value, profile_id)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [
        projectId,
        at,
        identities.map((identity) => identity.kind),
        identities.map((identity) => identity.value),
        identities.map((identity) => identity.profileId),
      ],
    )) as unknown[];
    return inserted.length;
  }

  /** Moves every identity of `fromProfileId` to `toProfileId` (merge). */
  async move(manager: EntityManager, projectId: string, fromProfileId: string, toProfileId: string): Promise<void> {
    await manager.query(`UPDATE profile_identity SET profile_id = $3 WHERE project_id = $1 AND profile_id = $2`, [
      projectId,
      fromProfileId,
      toProfileId,
    ]);
  }

  /** Identities of several profiles, oldest first (batched field resolution, export). */
  forProfiles(projectId: string, profileIds: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<ProfileIdentityEntity[]> {
    if (profileIds.length === 0) return Promise.resolve([]);
    return manager
      .getRepository(ProfileIdentityEntity)
      .createQueryBuilder('identity')
      .where('identity.project_id = :projectId', { projectId })
      .andWhere('identity.profile_id = ANY(:profileIds::uuid[])', { profileIds })
      .orderBy('identity.created_at', 'ASC')
      .addOrderBy('identity.kind', 'ASC')
      .addOrderBy('identity.value', 'ASC')
      .getMany();
  }

  /** The user and anonymous ids of several profiles, oldest first (what ProfileIdentified names). */
  async trackingIdentities(manager: EntityManager, projectId: string, profileIds: readonly string[]): Promise<(Identity & { profileId: string })[]> {
    const rows = (await manager.query(
      `SELECT profile_id, kind, value FROM profile_identity
       WHERE project_id = $1 AND profile_id = ANY($2::uuid[]) AND kind IN ('user_id', 'anonymous_id')
       ORDER BY created_at, kind, value`,
      [projectId, profileIds],
    )) as { profile_id: string; kind: IdentityKindValue; value: string }[];
    return rows.map((row) => ({ profileId: row.profile_id, kind: row.kind, value: row.value }));
  }

  /** The live profile that owns an identity, if any. */
  async ownerOf(projectId: string, identity: Identity): Promise<string | null> {
    const owners = await this.owners(this.dataSource.manager, projectId, [identity]);
    return owners.get(identityKey(identity)) ?? null;
  }
}
