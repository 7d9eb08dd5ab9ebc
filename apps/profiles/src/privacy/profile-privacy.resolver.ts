import { Args, ID, Mutation, Query, Resolver, ResolveReference } from '@nestjs/graphql';
import { assertSecretKey, JSONScalar, ProjectId, type SubgraphContext } from '@boomerang/platform/subgraph';
import { ProfileExport } from './profile-export.model.js';
import { ProfilePrivacyService } from './profile-privacy.service.js';

@Resolver(() => ProfileExport)
export class ProfilePrivacyResolver {
  constructor(private readonly privacy: ProfilePrivacyService) {}

  @Mutation(() => [ID], {
    description: 'GDPR erasure: deletes the profile, the profiles merged into it and their identities; returns the erased ids. Secret key only.',
  })
  eraseProfile(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.privacy.erase(projectId, id);
  }

  @Query(() => ProfileExport, {
    description:
      'GDPR export: everything the platform holds on the profile (profiles, events, calls) in one answer. A merged id exports the profile it was merged into. Secret key only.',
  })
  profileExport(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.privacy.profileExport(projectId, id);
  }

  @Query(() => JSONScalar, {
    description: 'GDPR export of what profiles alone holds: { profile, identities, mergeHistory }. Secret key only.',
    deprecationReason: 'Holds nothing from the other services (events, calls); use profileExport(id).',
  })
  exportProfile(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.privacy.export(projectId, id);
  }

  /** Reached through `_entities` only, which the root-field guard does not see. */
  @ResolveReference()
  resolveReference(reference: { profileId: string }, context: SubgraphContext) {
    assertSecretKey(context.caller);
    const projectId = context.caller.projectId;
    return projectId ? this.privacy.profileExport(projectId, reference.profileId) : null;
  }
}
