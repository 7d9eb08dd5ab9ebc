import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import { byKeys, ProjectId, type SubgraphContext } from '@boomerang/platform/subgraph';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { CreateSegmentInput, EstimateSegmentArgs, UpdateSegmentInput } from './dto/create-segment.input.js';
import { ruleForApi } from './dto/segment-rule.input.js';
import { SegmentError, SegmentErrorCode } from './segment.errors.js';
import { SegmentMembersPageArgs } from './dto/segment-members-page.args.js';
import { SegmentMembersArgs } from './dto/segment-members.args.js';
import type { SegmentEntity } from './segment.entity.js';
import { ProfileReference, Segment, SegmentEstimate, SegmentSizePoint, SegmentVersion } from './segment.model.js';
import { SegmentService } from './segment.service.js';

@Resolver(() => Segment)
export class SegmentResolver {
  constructor(private readonly segmentService: SegmentService) {}

  @Query(() => Segment)
  segment(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.segmentService.get(projectId, id);
  }

  @Query(() => [Segment], { description: "The project's segments, oldest first (archived ones only when asked)." })
  segments(@ProjectId() projectId: string, @Args('includeArchived', { type: () => Boolean, defaultValue: false }) includeArchived: boolean) {
    return this.segmentService.list(projectId, includeArchived);
  }

  @Query(() => SegmentEstimate, { description: 'How many profiles these rules would hold now, without saving a segment (leaves it needs are kept, so saving them next is fast).' })
  estimateSegment(@ProjectId() projectId: string, @Args() args: EstimateSegmentArgs) {
    return this.segmentService.estimate(projectId, args.rules);
  }

  @Mutation(() => Segment, { description: 'Creates a segment; a DYNAMIC one is evaluated over all history before this returns (status READY, or FAILED with the reason).' })
  createSegment(@ProjectId() projectId: string, @Args('input') input: CreateSegmentInput) {
    return this.segmentService.create(projectId, input);
  }

  @Mutation(() => Segment, { description: 'Renames or re-describes a segment, or saves new rules as its next version (evaluated over all history; members that no longer qualify exit).' })
  updateSegment(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string, @Args('input') input: UpdateSegmentInput) {
    return this.segmentService.update(projectId, id, input);
  }

  @Mutation(() => Segment, { description: 'Archives a segment: it is evaluated no more and its members exit. Refused while another segment names it.' })
  archiveSegment(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.segmentService.archive(projectId, id);
  }

  @ResolveField(() => JSONScalar, { nullable: true, description: 'The current rule tree (DYNAMIC), in the shape of SegmentRuleInput; null for STATIC.' })
  rules(@Parent() segment: SegmentEntity) {
    return segment.rules ? ruleForApi(segment.rules) : null;
  }

  @ResolveField(() => [SegmentVersion], { description: 'Every version of the rules, oldest first.' })
  versions(@Parent() segment: SegmentEntity) {
    return this.segmentService.versions(segment.projectId, segment.id);
  }

  @ResolveField(() => [SegmentSizePoint], { description: 'Size at the end of each of the last `days` days (UTC), oldest first.' })
  history(@Parent() segment: SegmentEntity, @Args('days', { type: () => Int, defaultValue: 30 }) days: number) {
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new SegmentError(SegmentErrorCode.InvalidRules, 'Invalid value for days: from 1 to 366', 'days');
    return this.segmentService.history(segment.projectId, segment.id, days);
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
    // A segment just computed answers with the members it wrote, a count(*) over them spared.
    if (segment.writtenSize !== undefined) return segment.writtenSize;
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
