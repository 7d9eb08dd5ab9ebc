import { Injectable } from '@nestjs/common';
import { ProfileCreated, ProfileIdentified, ProfileMerged } from '@boomerang/contracts';
import { KnownProfiles, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { ProfileLinks } from './profile-links.js';

export const PROFILE_CREATED_DURABLE = 'events-profile-created';

/**
 * Follows `profiles`: created profiles become known (events name only known profiles), identified
 * profiles get their waiting events, merged profiles are forgotten and their events move to the
 * survivor; erased ones are privacy's (ProfileErasureConsumer). Each handler writes through the
 * consumer's transaction, so the inbox row and the effect commit together.
 */
@Injectable()
export class ProfileSyncConsumers {
  constructor(lifecycle: MessagingLifecycle, links: ProfileLinks, knownProfiles: KnownProfiles) {
    lifecycle.register({
      durable: PROFILE_CREATED_DURABLE,
      contract: ProfileCreated,
      handle: (body, { manager }) => knownProfiles.remember(manager, [body]),
      handleBatch: (messages, manager) => knownProfiles.remember(manager, messages.map((message) => message.body)),
    });
    lifecycle.register({
      durable: 'events-profile-identified',
      contract: ProfileIdentified,
      handle: async (body, { manager }) => void (await links.link(manager, body.projectId, body.profileId, body.userId, body.anonymousIds)),
    });
    lifecycle.register({
      durable: 'events-profile-merged',
      contract: ProfileMerged,
      handle: async (body, { manager }) => {
        await knownProfiles.forget(manager, body.projectId, body.mergedProfileId);
        await links.merge(manager, body.projectId, body.profileId, body.mergedProfileId);
      },
    });
  }
}
