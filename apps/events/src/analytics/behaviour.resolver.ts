import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { AnalyticsCohorts } from './analytics-cohorts.js';
import { AnalyticsCohort, Funnel, Lifecycle, Stickiness, Trends } from './behaviour.model.js';
import { FunnelInput, LifecycleInput, SaveAnalyticsCohortInput, StickinessInput, TrendsInput } from './dto/behaviour.inputs.js';
import { FunnelQuery } from './funnel.query.js';
import { LifecycleQuery } from './lifecycle.query.js';
import { StickinessQuery } from './stickiness.query.js';
import { TrendsQuery } from './trends.query.js';

/** Behaviour questions (funnels, trends, stickiness, lifecycle) and saving their profiles as segments; secret key only (the guard's default), the caller's project. */
@Resolver()
export class BehaviourResolver {
  constructor(
    private readonly funnels: FunnelQuery,
    private readonly trendsQuery: TrendsQuery,
    private readonly stickinessQuery: StickinessQuery,
    private readonly lifecycleQuery: LifecycleQuery,
    private readonly cohorts: AnalyticsCohorts,
  ) {}

  @Query(() => Funnel, { description: 'Conversion through 2–10 ordered steps within a conversion window, with the median time between steps.' })
  funnel(@ProjectId() projectId: string, @Args('input') input: FunnelInput) {
    return this.funnels.funnel(projectId, input);
  }

  @Query(() => Trends, { description: 'Events, distinct profiles, or a property summed or averaged, per interval, against the period before.' })
  trends(@ProjectId() projectId: string, @Args('input') input: TrendsInput) {
    return this.trendsQuery.trends(projectId, input);
  }

  @Query(() => Stickiness, { description: 'DAU, WAU, MAU and DAU/MAU per local day; profiles by active days per week.' })
  stickiness(@ProjectId() projectId: string, @Args('input') input: StickinessInput) {
    return this.stickinessQuery.stickiness(projectId, input);
  }

  @Query(() => Lifecycle, { description: 'New, returning, resurrecting and dormant profiles per interval.' })
  lifecycle(@ProjectId() projectId: string, @Args('input') input: LifecycleInput) {
    return this.lifecycleQuery.lifecycle(projectId, input);
  }

  @Mutation(() => AnalyticsCohort, { description: "Saves the profiles of an answer (a funnel's drop-off or converters at a step, a lifecycle state in an interval, a retention driver's doers or non-doers) as a STATIC segment." })
  async saveAnalyticsCohort(@ProjectId() projectId: string, @Args('input') input: SaveAnalyticsCohortInput) {
    const { segmentId, profiles } = await this.cohorts.save(projectId, input);
    return { segment: { id: segmentId }, profiles };
  }
}
