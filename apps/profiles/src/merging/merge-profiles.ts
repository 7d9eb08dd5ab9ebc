import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ProfileMerged } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { Clock, isUuid } from '@boomerang/platform/subgraph';
import { IdentityRepository } from '../identities/identity.repository.js';
import type { ProfileEntity } from '../profiles/profile.entity.js';
import { ProfileChanges } from '../profiles/profile-changes.js';
import { ProfileRepository } from '../profiles/profile.repository.js';
import { mergeConsent } from '../profiles/profile-traits.js';
import { ProfileError, ProfileErrorCode } from '../profiles/profile.errors.js';

/**
 * Folds one profile into another: the survivor takes the merged profile's identities, its
 * properties and contact details where it has none (the survivor wins on conflicts); the merged
 * row stays as a tombstone pointing at the survivor. Returns the survivor's id. Serves the mergeProfiles mutation and
 * identity resolution (alias, identify after anonymous activity) alike.
 */
@Injectable()
export class MergeProfiles {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly profiles: ProfileRepository,
    private readonly identities: IdentityRepository,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    private readonly changes: ProfileChanges,
  ) {}

  /** `execute` in a transaction of its own (the mergeProfiles mutation), announcing the survivor's ProfileChanged. */
  executeInOwnTransaction(projectId: string, profileId: string, mergedProfileId: string): Promise<string> {
    return this.dataSource.transaction(async (manager) => {
      const survivorId = await this.execute(manager, projectId, profileId, mergedProfileId);
      await this.changes.announce(manager, projectId, [survivorId]);
      return survivorId;
    });
  }

  /** The merge in the caller's transaction, whose owner announces the survivor's ProfileChanged (see ProfileChanges). */
  async execute(manager: EntityManager, projectId: string, profileId: string, mergedProfileId: string): Promise<string> {
    if (profileId === mergedProfileId) {
      throw new ProfileError(ProfileErrorCode.MergeIntoItself, 'Invalid value for mergedProfileId: a profile cannot be merged into itself', 'mergedProfileId');
    }
    const locked = await this.profiles.lockLive(manager, projectId, [profileId, mergedProfileId].filter(isUuid));
    const survivor = locked.find((row) => row.id === profileId);
    const merged = locked.find((row) => row.id === mergedProfileId);
    if (!survivor) throw notFound(profileId, 'profileId');
    if (!merged) throw notFound(mergedProfileId, 'mergedProfileId');

    const userIds = await this.identities.userIds(manager, projectId, [survivor.id, merged.id]);
    const [survivorUser, mergedUser] = [userIds.get(survivor.id), userIds.get(merged.id)];
    if (survivorUser && mergedUser && survivorUser !== mergedUser) {
      throw new ProfileError(
        ProfileErrorCode.IdentityConflict,
        `Profiles ${survivor.id} and ${merged.id} belong to different users (user ids "${survivorUser}" and "${mergedUser}"); they are not merged`,
      );
    }

    const now = this.clock.now();
    // Tombstone first: it frees the merged row's external_id for the survivor (unique per project).
    await this.profiles.tombstone(manager, projectId, merged.id, survivor.id, now);
    await this.identities.move(manager, projectId, merged.id, survivor.id);
    const consent = mergeConsent(survivor.consent ?? {}, merged.consent ?? {});
    await this.profiles.absorb(manager, projectId, survivor.id, merged, consent, verifiedFieldsTaken(survivor, merged), now);
    await this.outbox.enqueue(manager, ProfileMerged, {
      projectId,
      occurredAt: now.toISOString(),
      profileId: survivor.id,
      mergedProfileId: merged.id,
    });
    return survivor.id;
  }
}

/** The merged profile's verified fields whose values the survivor takes (where it had none: the survivor wins). */
function verifiedFieldsTaken(survivor: ProfileEntity, merged: ProfileEntity): string[] {
  const survivorHas = (field: string): boolean => {
    if (field.startsWith('properties.')) return Object.hasOwn(survivor.properties ?? {}, field.slice('properties.'.length));
    const column = { name: survivor.name, time_zone: survivor.timeZone, locale: survivor.locale }[field];
    return column !== null && column !== undefined;
  };
  return (merged.verifiedFields ?? []).filter((field) => !survivorHas(field));
}

function notFound(id: string, field: string): ProfileError {
  return new ProfileError(ProfileErrorCode.ProfileNotFound, `No profile ${id} in this project`, field);
}
