import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import { byKeys, groupByKeys, Loaders, ProjectId, type RequestLoaders, type SubgraphContext } from '@boomerang/platform/subgraph';
import type { CallStateChangeEntity } from './call-state-change.entity.js';
import type { CallEntity } from './call.entity.js';
import { Call, CallStateChange, ProfileReference } from './call.model.js';
import { CallService } from './call.service.js';
import { PlaceCallInput } from './dto/place-call.input.js';

@Resolver(() => Call)
export class CallResolver {
  constructor(private readonly callService: CallService) {}

  @Query(() => Call)
  call(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.callService.get(projectId, id);
  }

  @Query(() => [Call], { description: "The project's calls, newest first; with profileId, only the calls that profile made or received." })
  calls(@ProjectId() projectId: string, @Args('profileId', { type: () => ID, nullable: true }) profileId?: string | null) {
    return this.callService.list(projectId, profileId);
  }

  @Mutation(() => Call, { description: 'Places a call from one profile to another; the call starts PLACED.' })
  placeCall(@ProjectId() projectId: string, @Args('input') input: PlaceCallInput) {
    return this.callService.place(projectId, input);
  }

  @ResolveField(() => ProfileReference)
  caller(@Parent() call: CallEntity) {
    return { __typename: 'Profile', id: call.callerProfileId };
  }

  @ResolveField(() => ProfileReference)
  callee(@Parent() call: CallEntity) {
    return { __typename: 'Profile', id: call.calleeProfileId };
  }

  @ResolveField(() => [CallStateChange], { description: 'Every state the call entered, oldest first.' })
  timeline(@Parent() call: CallEntity, @ProjectId() projectId: string, @Loaders() loaders: RequestLoaders) {
    return loaders
      .get<string, CallStateChangeEntity[]>('CallTimeline', async (ids) => groupByKeys(ids, await this.callService.timelines(projectId, ids), (row) => row.callId))
      .load(call.id);
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, CallEntity | null>('Call', async (ids) => byKeys(ids, await this.callService.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
