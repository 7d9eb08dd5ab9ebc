import { Injectable } from '@nestjs/common';
import { ProfileChanged, ProfileDeleted, ProfileMerged, type ProfileSnapshot } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import { EmailProfiles } from './email-profiles.js';

export const PROFILE_CHANGED_DURABLE = 'email-profile-changed';
export const PROFILE_DELETED_DURABLE = 'email-profile-deleted';
export const PROFILE_MERGED_DURABLE = 'email-profile-merged';

/**
 * Follows `profiles` into email_profile: each change keeps the newest snapshot (contact email,
 * email consent, name, time zone, locale, properties); an erased or merged-away profile becomes a
 * tombstone (the survivor of a merge arrives as its own ProfileChanged). Writes go through the
 * consumer's transaction, so the inbox row and the effect commit together.
 */
@Injectable()
export class EmailProfileSync {
  constructor(lifecycle: MessagingLifecycle, profiles: EmailProfiles) {
    lifecycle.register({
      durable: PROFILE_CHANGED_DURABLE,
      contract: ProfileChanged,
      handle: (body, { manager }) => profiles.upsert(manager, body.projectId, [body]),
      handleBatch: async (messages, manager) => {
        const byProject = new Map<string, ProfileSnapshot[]>();
        for (const { projectId, body } of messages) byProject.set(projectId, [...(byProject.get(projectId) ?? []), body]);
        for (const [projectId, snapshots] of byProject) await profiles.upsert(manager, projectId, snapshots);
      },
    });
    lifecycle.register({
      durable: PROFILE_DELETED_DURABLE,
      contract: ProfileDeleted,
      handle: (body, { manager }) => profiles.erase(manager, body.projectId, body.profileId),
    });
    lifecycle.register({
      durable: PROFILE_MERGED_DURABLE,
      contract: ProfileMerged,
      handle: (body, { manager }) => profiles.erase(manager, body.projectId, body.mergedProfileId),
    });
  }
}
