import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { assertSecretKey, JSONScalar, type SubgraphContext } from '@boomerang/platform/subgraph';
import { ProfileExportReference } from './profile-export.model.js';
import { SegmentService } from './segment.service.js';

/** Adds the profile's segment memberships to the GDPR export that profiles starts. */
@Resolver(() => ProfileExportReference)
export class ProfileExportSegmentsResolver {
  constructor(private readonly segmentService: SegmentService) {}

  @ResolveField(() => JSONScalar, {
    // Contributed to another subgraph's entity: nullable, so a segments outage nulls only this part (README, "Adding fields across subgraphs").
    nullable: true,
    description:
      'Every segment the profile is a member of, oldest membership first: { segmentId, name, kind, addedAt }. Secret key only. Null when the segments service did not answer (error SUBGRAPH_UNAVAILABLE): the export is then incomplete; ask again.',
  })
  async segments(@Parent() reference: ProfileExportReference, @Context() context: SubgraphContext) {
    // Reached through `_entities`, which the root-field guard does not see.
    assertSecretKey(context.caller);
    const projectId = context.caller.projectId;
    return projectId ? this.segmentService.membershipsOf(projectId, reference.profileId) : [];
  }
}
