import { Int, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { SegmentEstimate } from './segment.model.js';
import { SegmentService } from './segment.service.js';

/** An estimate's fields beyond its size, computed only when a query asks for them. */
@Resolver(() => SegmentEstimate)
export class SegmentEstimateResolver {
  constructor(private readonly segmentService: SegmentService) {}

  @ResolveField(() => Int, { description: 'Profiles of the project (what the size is out of).' })
  totalProfiles(@Parent() estimate: SegmentEstimate) {
    return this.segmentService.totalProfiles(estimate.projectId);
  }
}
