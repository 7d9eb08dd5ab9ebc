import { Args, ID, Mutation, Query, Resolver, ResolveReference } from '@nestjs/graphql';
import { byKeys, ProjectId, type SubgraphContext } from '@boomerang/platform/subgraph';
import { CreateJourneyInput } from './dto/create-journey.input.js';
import { Journey } from './journey.model.js';
import { JourneyService } from './journey.service.js';
import type { JourneyEntity } from './journey.entity.js';

@Resolver(() => Journey)
export class JourneyResolver {
  constructor(private readonly journeyService: JourneyService) {}

  @Query(() => Journey)
  journey(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.journeyService.get(projectId, id);
  }

  @Query(() => [Journey], { description: "The project's journeys, oldest first." })
  journeys(@ProjectId() projectId: string) {
    return this.journeyService.list(projectId);
  }

  @Mutation(() => Journey, { description: 'Creates a DRAFT journey (version 1) after checking its graph.' })
  createJourney(@ProjectId() projectId: string, @Args('input') input: CreateJourneyInput) {
    return this.journeyService.create(projectId, input);
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, JourneyEntity | null>('Journey', async (ids) => byKeys(ids, await this.journeyService.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
