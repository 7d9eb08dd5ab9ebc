import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileMerged } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { Clock, isUuid } from '@boomerang/platform/subgraph';
import { IdentityRepository } from '../identities/identity.repository.js';
import { lockProfiles } from '../profiles/profile-rows.js';
import type { ProfileEntity } from '../profiles/profile.entity.js';
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
    private readonly identities: IdentityRepository,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  async execute(manager: EntityManager, projectId: string, profileId: string, mergedProfileId: string): Promise<string> {
    if (profileId === mergedProfileId) {
      throw new ProfileError(ProfileErrorCode.MergeIntoItself, 'Invalid value for mergedProfileId: a profile cannot be merged into itself', 'mergedProfileId');
    }
    const locked = await lockProfiles(manager, projectId, [profileId, mergedProfileId].filter(isUuid));
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
    await manager.query(
      `UPDATE profile SET merged_into = $2, merged_at = $3, updated_at = $3,
         external_id = NULL, anonymous_id = NULL, email = NULL, phone = NULL, name = NULL, time_zone = NULL, locale = NULL, properties = '{}'
       WHERE id = $1`,
      [merged.id, survivor.id, now],
    );
    await manager.query(`UPDATE profile SET merged_into = $2 WHERE project_id = $3 AND merged_into = $1`, [merged.id, survivor.id, projectId]);
    await this.identities.move(manager, projectId, merged.id, survivor.id);
    await manager.query(
      `UPDATE profile SET external_id = COALESCE(external_id, $2), anonymous_id = COALESCE(anonymous_id, $3),
         email = COALESCE(email, $4), phone = COALESCE(phone, $5), name = COALESCE(name, $6),
         properties = $7::jsonb || properties, consent = $9::jsonb, updated_at = $8,
         time_zone = COALESCE(time_zone, $10), locale = COALESCE(locale, $11),
         verified_fields = ARRAY(SELECT DISTINCT unnest(verified_fields || $12::text[]))
       WHERE id = $1`,
      [
        survivor.id,
        merged.externalId,
        merged.anonymousId,
        merged.email,
        merged.phone,
        merged.name,
        JSON.stringify(merged.properties),
        now,
        JSON.stringify(mergeConsent(survivor.consent ?? {}, merged.consent ?? {})),
        merged.timeZone,
        merged.locale,
        verifiedFieldsTaken(survivor, merged),
      ],
    );
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
