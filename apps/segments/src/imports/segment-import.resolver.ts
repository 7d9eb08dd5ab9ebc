import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { Segment } from '../segments/segment.model.js';
import { ImportSegmentInput, SegmentImportRowsArgs } from './dto/import-segment.input.js';
import { SegmentImport, SegmentImportRow } from './segment-import.model.js';
import { SegmentImportService, type SegmentImportView } from './segment-import.service.js';

@Resolver(() => SegmentImport)
export class SegmentImportResolver {
  constructor(private readonly service: SegmentImportService) {}

  @Mutation(() => SegmentImport, {
    description:
      'Starts importing a cohort file into a STATIC segment (or a new one, with `name`): PUT the file to `uploadUrl`, or give `sourceUrl` for segments to fetch it. Follow it with segmentImport(id).',
  })
  importSegment(@ProjectId() projectId: string, @Args('input') input: ImportSegmentInput) {
    return this.service.create(projectId, input);
  }

  @Query(() => SegmentImport)
  segmentImport(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.service.get(projectId, id);
  }

  @ResolveField(() => Segment)
  segment(@Parent() job: SegmentImportView) {
    return this.service.segmentOf(job.projectId, job.segmentId);
  }

  @ResolveField(() => [SegmentImportRow], { description: 'Rows that matched no member, by row; page with `after` (the last row of the previous page).' })
  unmatchedRows(@Parent() job: SegmentImportView, @Args() args: SegmentImportRowsArgs) {
    return this.service.unmatchedRows(job.projectId, job.id, args.first, args.after ?? null);
  }
}
