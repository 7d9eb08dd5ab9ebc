import { Module } from '@nestjs/common';
import { KnownProfiles } from '@boomerang/platform/subgraph';
import { ProfileLinkRepair } from './profile-link-repair.js';
import { ProfileLinks } from './profile-links.js';
import { ProfileSyncConsumers } from './profile-sync.consumers.js';

/** Events' copy of profiles: which profiles exist (KnownProfiles) and which owns each user and anonymous id (ProfileLinks), kept by profiles' messages. */
@Module({
  providers: [ProfileLinks, ProfileLinkRepair, KnownProfiles, ProfileSyncConsumers],
  exports: [ProfileLinks, KnownProfiles],
})
export class ProfileSyncModule {}
