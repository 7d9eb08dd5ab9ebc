import { Injectable } from '@nestjs/common';
import { ProfileCreated, ProfileDeleted, ProfileMerged } from '@boomerang/contracts';
import { KnownProfiles, MessagingLifecycle } from '@boomerang/platform/subgraph';

export const PROFILE_CREATED_DURABLE = 'campaigns-profile-created';
export const PROFILE_DELETED_DURABLE = 'campaigns-profile-deleted';
export const PROFILE_MERGED_DURABLE = 'campaigns-profile-merged';

/** Which profiles exist (KnownProfiles), for campaigns to everyone: created ones are remembered, merged and erased ones forgotten. */
@Injectable()
export class CampaignProfileSync {
  constructor(lifecycle: MessagingLifecycle, knownProfiles: KnownProfiles) {
    lifecycle.register({
      durable: PROFILE_CREATED_DURABLE,
      contract: ProfileCreated,
      handle: (body, { manager }) => knownProfiles.remember(manager, [body]),
      handleBatch: (messages, manager) => knownProfiles.remember(manager, messages.map((message) => message.body)),
    });
    lifecycle.register({
      durable: PROFILE_DELETED_DURABLE,
      contract: ProfileDeleted,
      handle: (body, { manager }) => knownProfiles.forget(manager, body.projectId, body.profileId),
    });
    lifecycle.register({
      durable: PROFILE_MERGED_DURABLE,
      contract: ProfileMerged,
      handle: (body, { manager }) => knownProfiles.forget(manager, body.projectId, body.mergedProfileId),
    });
  }
}
