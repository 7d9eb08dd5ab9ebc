import { Injectable } from '@nestjs/common';
import { ProfileDeleted, ProfileIdentified, ProfileMerged } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import { ProfileLinks } from './profile-links.js';

/**
 * Follows `profiles`: identified profiles get their waiting events, merged profiles' events move
 * to the survivor, erased profiles' events are deleted. Each handler writes through the
 * consumer's transaction, so the inbox row and the effect commit together.
 */
@Injectable()
export class ProfileSyncConsumers {
  constructor(lifecycle: MessagingLifecycle, links: ProfileLinks) {
    lifecycle.register({
      durable: 'events-profile-identified',
      contract: ProfileIdentified,
      handle: async (body, { manager }) => void (await links.link(manager, body.projectId, body.profileId, body.userId, body.anonymousIds)),
    });
    lifecycle.register({
      durable: 'events-profile-merged',
      contract: ProfileMerged,
      handle: (body, { manager }) => links.merge(manager, body.projectId, body.profileId, body.mergedProfileId),
    });
    lifecycle.register({
      durable: 'events-profile-deleted',
      contract: ProfileDeleted,
      handle: async (body, { manager }) => void (await links.erase(manager, body.projectId, body.profileId)),
    });
  }
}
