import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { JSONScalar, ProjectId } from '@boomerang/platform/subgraph';
import { ProfilePrivacyService } from './profile-privacy.service.js';

@Resolver()
export class ProfilePrivacyResolver {
  constructor(private readonly privacy: ProfilePrivacyService) {}

  @Mutation(() => [ID], {
    description: 'GDPR erasure: deletes the profile, the profiles merged into it and their identities; returns the erased ids. Secret key only.',
  })
  eraseProfile(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.privacy.erase(projectId, id);
  }

  @Query(() => JSONScalar, { description: 'GDPR export: the profile\'s fields, properties, identities and merge history. Secret key only.' })
  exportProfile(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.privacy.export(projectId, id);
  }
}
