import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { BreakdownGroupFields } from './analytics.model.js';

@ObjectType({ description: 'Revenue of one cohort by interval since its first (start) event.' })
export class ValueCohort {
  @Field(() => String, { description: 'Its first local day (YYYY-MM-DD).' })
  start: string;

  @Field(() => Int)
  size: number;

  @Field(() => [Float], { description: 'Revenue in interval k (k = 0 is the cohort interval); intervals not begun yet are left out.' })
  revenue: number[];

  @Field(() => [Int], { description: 'Members who paid in interval k.' })
  payers: number[];

  @Field(() => [Int], { description: 'Members active (any event) in interval k.' })
  active: number[];

  @Field(() => [Float], { description: 'The LTV curve: revenue in intervals 0…k per cohort member.' })
  cumulativePerMember: number[];

  @Field(() => [Float], { nullable: 'items', description: 'Revenue in k over revenue in 0 (null when interval 0 had none).' })
  revenueRetention: (number | null)[];

  @Field(() => [Float], { nullable: 'items', description: 'Average revenue per active member in k (null when none was active).' })
  arpau: (number | null)[];
}

@ObjectType({ description: 'The cohorts of one breakdown value.' })
export class ValueRetentionGroup extends BreakdownGroupFields {
  @Field(() => [ValueCohort])
  cohorts: ValueCohort[];
}

@ObjectType({ description: 'Value retention and LTV curves by cohort.' })
export class ValueRetention {
  @Field(() => String)
  timeZone: string;

  @Field(() => String, { description: 'The event whose amounts were summed.' })
  revenueEvent: string;

  @Field(() => String)
  amountProperty: string;

  @Field(() => [ValueCohort])
  cohorts: ValueCohort[];

  @Field(() => [ValueRetentionGroup], { nullable: true })
  breakdown: ValueRetentionGroup[] | null;
}
