import { Args, ID, Mutation, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { Profile } from '../profiles/profile.model.js';
import { ProfileService } from '../profiles/profile.service.js';
import { MergeProfiles } from './merge-profiles.js';

@Resolver(() => Profile)
export class MergeProfilesResolver {
  constructor(
    private readonly merging: MergeProfiles,
    private readonly profileService: ProfileService,
  ) {}

  @Mutation(() => Profile, {
    description:
      'Folds mergedProfileId into profileId (the survivor): identities move, properties merge (survivor wins). Refused (CONFLICT) when both carry different user ids.',
  })
  async mergeProfiles(
    @ProjectId() projectId: string,
    @Args('profileId', { type: () => ID }) profileId: string,
    @Args('mergedProfileId', { type: () => ID }) mergedProfileId: string,
  ) {
    return this.profileService.get(projectId, await this.merging.executeInOwnTransaction(projectId, profileId, mergedProfileId));
  }
}
