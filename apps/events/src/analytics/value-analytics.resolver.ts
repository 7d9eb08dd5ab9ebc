import { Args, Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { ValueRetentionInput } from './dto/value-retention.input.js';
import { ValueRetention } from './value-retention.model.js';
import { ValueRetentionQuery } from './value-retention.query.js';

/** Value questions (LTV, churn, drivers); secret key only (the guard's default). */
@Resolver()
export class ValueAnalyticsResolver {
  constructor(private readonly valueRetentionQuery: ValueRetentionQuery) {}

  @Query(() => ValueRetention, { description: 'Revenue by cohort and interval: LTV curves, revenue retention, ARPAU.' })
  valueRetention(@ProjectId() projectId: string, @Args('input') input: ValueRetentionInput) {
    return this.valueRetentionQuery.valueRetention(projectId, input);
  }
}
