import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import { byKeys, ProjectId, type SubgraphContext } from '@boomerang/platform/subgraph';
import { CreateSegmentInput } from './dto/create-segment.input.js';
import { SegmentMembersPageArgs } from './dto/segment-members-page.args.js';
import { SegmentMembersArgs } from './dto/segment-members.args.js';
import type { SegmentEntity } from './segment.entity.js';
import { ProfileReference, Segment } from './segment.model.js';
import { SegmentService } from './segment.service.js';

@Resolver(() => Segment)
export class SegmentResolver {
  constructor(private readonly segmentService: SegmentService) {}

  @Query(() => Segment)
  segment(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.segmentService.get(projectId, id);
  }

  @Query(() => [Segment], { description: "The project's segments, oldest first." })
  segments(@ProjectId() projectId: string) {
    return this.segmentService.list(projectId);
  }

  @Mutation(() => Segment)
  createSegment(@ProjectId() projectId: string, @Args('input') input: CreateSegmentInput) {
    return this.segmentService.create(projectId, input);
  }

  @Mutation(() => Segment, { description: 'Adds profiles to a STATIC segment; profiles already in it are left as they are.' })
  addSegmentMembers(@ProjectId() projectId: string, @Args() args: SegmentMembersArgs) {
    return this.segmentService.addMembers(projectId, args.segmentId, args.profileIds);
  }

  @Mutation(() => Segment, { description: 'Removes profiles from a STATIC segment.' })
  removeSegmentMembers(@ProjectId() projectId: string, @Args() args: SegmentMembersArgs) {
    return this.segmentService.removeMembers(projectId, args.segmentId, args.profileIds);
  }

  @ResolveField(() => Int)
  size(@Parent() segment: SegmentEntity, @Context() context: SubgraphContext) {
    const projectId = context.caller.projectId ?? segment.projectId;
    return context.loaders.get<string, number>('Segment.size', (ids) => this.segmentService.sizes(projectId, ids)).load(segment.id);
  }

  @ResolveField(() => [ProfileReference], { description: 'Member profiles, ordered by id; page with `after`.' })
  async members(@Parent() segment: SegmentEntity, @Args() args: SegmentMembersPageArgs, @Context() context: SubgraphContext) {
    const projectId = context.caller.projectId ?? segment.projectId;
    const after = args.after ?? null;
    const ids = await context.loaders
      .get<string, string[]>(`Segment.members:${args.first}:${after}`, (segmentIds) =>
        this.segmentService.membersOfSegments(projectId, segmentIds, args.first, after),
      )
      .load(segment.id);
    return ids.map((id) => ({ __typename: 'Profile', id }));
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, SegmentEntity | null>('Segment', async (ids) => byKeys(ids, await this.segmentService.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
