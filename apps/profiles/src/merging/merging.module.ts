import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { IdentityResolver } from './identity-resolver.js';
import { MergeProfiles } from './merge-profiles.js';
import { MergeProfilesResolver } from './merge-profiles.resolver.js';

/**
 * Profiles becoming one: MergeProfiles and the mergeProfiles mutation, and IdentityResolver, which finds,
 * creates or joins the profile of identities seen together (merging where that is safe).
 */
@Module({
  imports: [ClockModule, IdentitiesModule, ProfilesModule],
  providers: [MergeProfiles, IdentityResolver, MergeProfilesResolver],
  exports: [IdentityResolver],
})
export class MergingModule {}
