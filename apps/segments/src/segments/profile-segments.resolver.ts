import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { SubgraphContext } from '@boomerang/platform/subgraph';
import type { SegmentEntity } from './segment.entity.js';
import { ProfileReference, Segment } from './segment.model.js';
import { SegmentService } from './segment.service.js';

/** Adds `segments` to Profile; every profile in a request shares one query. */
@Resolver(() => ProfileReference)
export class ProfileSegmentsResolver {
  constructor(private readonly segmentService: SegmentService) {}

  @ResolveField(() => [Segment], {
    // Contributed to another subgraph's entity: nullable, so a segments outage nulls only this field (README, "Adding fields across subgraphs").
    nullable: true,
    description: 'Segments this profile is a member of. Null when the segments service did not answer (error SUBGRAPH_UNAVAILABLE).',
  })
  segments(@Parent() profile: ProfileReference, @Context() context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return [];
    return context.loaders
      .get<string, SegmentEntity[]>('Profile.segments', (ids) => this.segmentService.segmentsOfProfiles(projectId, ids))
      .load(profile.id);
  }
}
