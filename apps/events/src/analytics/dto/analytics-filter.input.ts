import { Field, ID, InputType } from '@nestjs/graphql';
import { ConditionOp, ConditionValueScalar, ConditionValueType, PropertyConditionInput } from '@boomerang/audience/graphql';
import type { AnalyticsBreakdown, AnalyticsFilter } from '../analytics-filter.js';

/**
 * Filters and breakdowns every analytics question takes. Conditions are the audience language's
 * (libs/audience), under the same GraphQL names and shapes as segments' rule input, so the
 * supergraph has one `PropertyConditionInput` and a console builds both with one component.
 */

export { ConditionOp, ConditionValueScalar, ConditionValueType, PropertyConditionInput };

@InputType({ description: 'Who and what an analytics question counts; every part given must hold.' })
export class AnalyticsFilterInput implements AnalyticsFilter {
  @Field(() => ID, { nullable: true, description: "Only the segment's current members." })
  segmentId?: string | null;

  @Field(() => [PropertyConditionInput], { nullable: true, description: "Only profiles whose custom properties meet every condition." })
  profile?: PropertyConditionInput[] | null;

  @Field(() => [PropertyConditionInput], { nullable: true, description: 'Only events whose properties meet every condition (answered from the raw events).' })
  event?: PropertyConditionInput[] | null;
}

@InputType({ description: 'Break the answer down by one property: give one.' })
export class AnalyticsBreakdownInput implements AnalyticsBreakdown {
  @Field(() => String, { nullable: true, description: "A custom profile property's value." })
  profileProperty?: string | null;

  @Field(() => String, { nullable: true, description: "A property's value on the event that put the profile in the question (e.g. the install's `utm_source`)." })
  eventProperty?: string | null;
}
