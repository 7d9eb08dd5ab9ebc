import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileCreated, ProfileIdentified } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { Clock } from '@boomerang/platform/subgraph';
import { distinctIdentities, type Identity, identityKey, identityValue, isTrackingIdentity, normalizeIdentity } from '../identities/identity.entity.js';
import { IdentityRepository } from '../identities/identity.repository.js';
import { profileIdentified } from '../identities/profile-identified.js';
import { ProfileEntity } from '../profiles/profile.entity.js';
import { ProfileError, ProfileErrorCode } from '../profiles/profile.errors.js';
import { type ContactColumns, ProfileRepository } from '../profiles/profile.repository.js';
import { MergeProfiles } from './merge-profiles.js';

export interface ResolvedProfile {
  profile: ProfileEntity;
  created: boolean;
  /** Identities that were new to the project and now belong to the profile. */
  added: Identity[];
  mergedProfileIds: string[];
  /** The profile's snapshot changed (created, merged into, or given a user id, email or phone): the caller announces ProfileChanged. */
  changed: boolean;
}

/** At most a few owners can disagree with a fresh read; more means heavy contention, so give up loudly. */
const MAX_ATTEMPTS = 3;

/**
 * Finds the one profile that a set of identities seen together (user id, anonymous id, email,
 * phone, device id) belongs to: the known one, a new one, or several joined into one when that
 * is safe (at most one user id among them). Runs inside the caller's transaction; identity keys
 * are locked first and owning profiles second, so concurrent resolutions of the same identities
 * queue instead of creating two profiles.
 */
@Injectable()
export class IdentityResolver {
  constructor(
    private readonly profiles: ProfileRepository,
    private readonly identities: IdentityRepository,
    private readonly mergeProfiles: MergeProfiles,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  async resolve(manager: EntityManager, projectId: string, seen: readonly Identity[]): Promise<ResolvedProfile> {
    const wanted = distinctIdentities(seen.filter((identity) => identity.value !== '').map(normalizeIdentity));
    if (wanted.length === 0) throw new ProfileError(ProfileErrorCode.NoIdentity, 'At least one identity is needed to resolve a profile');
    const userIds = [...new Set(wanted.filter((identity) => identity.kind === 'user_id').map((identity) => identity.value))];
    if (userIds.length > 1) {
      throw new ProfileError(ProfileErrorCode.IdentityConflict, `User ids "${userIds[0]}" and "${userIds[1]}" cannot belong to one profile`);
    }
    await this.identities.lock(manager, projectId, wanted);

    for (let attempt = 1; ; attempt++) {
      const owners = await this.identities.owners(manager, projectId, wanted);
      const ownerIds = [...new Set(owners.values())];
      if (ownerIds.length === 0) return this.create(manager, projectId, wanted);
      const profiles = await this.profiles.lockLive(manager, projectId, ownerIds);
      // A merge may have moved identities between the read and the lock: read again under the lock.
      const settled = await this.identities.owners(manager, projectId, wanted);
      if (profiles.length === ownerIds.length && sameOwners(owners, settled)) {
        return this.join(manager, projectId, wanted, owners, profiles, userIds[0]);
      }
      if (attempt === MAX_ATTEMPTS) throw new Error('identity owners kept changing during resolution');
    }
  }

  private async join(
    manager: EntityManager,
    projectId: string,
    wanted: Identity[],
    owners: Map<string, string>,
    profiles: ProfileEntity[],
    incomingUserId: string | undefined,
  ): Promise<ResolvedProfile> {
    const carried = await this.identities.userIds(manager, projectId, profiles.map((profile) => profile.id));
    const users = new Set([...carried.values(), ...(incomingUserId ? [incomingUserId] : [])]);
    if (users.size > 1) {
      const holders = profiles.filter((profile) => carried.has(profile.id)).map((profile) => profile.id);
      throw new ProfileError(
        ProfileErrorCode.IdentityConflict,
        `The identities belong to different users (user ids ${[...users].map((user) => `"${user}"`).join(', ')}; profiles ${holders.join(', ')}); nothing was joined`,
      );
    }
    // The user's profile survives; among anonymous-only ones, the oldest.
    const survivor =
      profiles.find((profile) => carried.has(profile.id)) ??
      [...profiles].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))[0]!;
    const mergedProfileIds: string[] = [];
    for (const profile of profiles) {
      if (profile.id === survivor.id) continue;
      await this.mergeProfiles.execute(manager, projectId, survivor.id, profile.id);
      mergedProfileIds.push(profile.id);
    }
    const missing = wanted.filter((identity) => !owners.has(identityKey(identity)));
    const now = this.clock.now();
    const attached = await this.identities.attach(manager, projectId, survivor.id, missing, now);
    if (attached.length !== missing.length) throw new Error('an identity was claimed despite its lock');
    if (attached.length > 0) await this.profiles.fillContactColumns(manager, projectId, survivor.id, contactColumnsOf(attached), now);
    if (attached.some(isTrackingIdentity) || mergedProfileIds.length > 0) await this.announce(manager, projectId, survivor.id, now);
    const profile = await this.profiles.reload(manager, projectId, survivor.id);
    const changed = mergedProfileIds.length > 0 || profile.externalId !== survivor.externalId || profile.email !== survivor.email || profile.phone !== survivor.phone;
    return { profile, created: false, added: attached, mergedProfileIds, changed };
  }

  private async create(manager: EntityManager, projectId: string, wanted: Identity[]): Promise<ResolvedProfile> {
    const now = this.clock.now();
    const profile = manager.create(ProfileEntity, {
      id: randomUUID(),
      projectId,
      ...contactColumnsOf(wanted),
      name: null,
      properties: {},
      createdAt: now,
      updatedAt: now,
      mergedInto: null,
      mergedAt: null,
    });
    await this.profiles.insert(manager, profile);
    const added = await this.identities.attach(manager, projectId, profile.id, wanted, now);
    if (added.length !== wanted.length) throw new Error('an identity was claimed despite its lock');
    await this.outbox.enqueue(manager, ProfileCreated, { projectId, occurredAt: now.toISOString(), profileId: profile.id, externalId: profile.externalId });
    if (added.some(isTrackingIdentity)) await this.announce(manager, projectId, profile.id, now);
    return { profile, created: true, added, mergedProfileIds: [], changed: true };
  }

  /** The profile now answers to its user id and every anonymous id it holds. */
  private async announce(manager: EntityManager, projectId: string, profileId: string, now: Date): Promise<void> {
    const held = await this.identities.forProfiles(projectId, [profileId], manager);
    await this.outbox.enqueue(manager, ProfileIdentified, profileIdentified(projectId, profileId, held, now));
  }
}

function sameOwners(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([key, owner]) => b.get(key) === owner);
}

/** The profile columns that name identities: the first of each kind. */
const contactColumnsOf = (identities: readonly Identity[]): ContactColumns => ({
  externalId: identityValue(identities, 'user_id'),
  anonymousId: identityValue(identities, 'anonymous_id'),
  email: identityValue(identities, 'email'),
  phone: identityValue(identities, 'phone'),
});

