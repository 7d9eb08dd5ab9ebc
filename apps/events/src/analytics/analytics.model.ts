import { Field, Float, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'One cohort of a retention matrix.' })
export class RetentionCohort {
  @Field(() => String, { description: 'Its first local day (YYYY-MM-DD).' })
  start: string;

  @Field(() => Int, { description: 'Profiles whose first (start) event was in it.' })
  size: number;

  @Field(() => [Int], { description: 'Profiles back in interval k (k = 0 is the cohort interval); intervals not begun yet are left out.' })
  counts: number[];

  @Field(() => [Float], { description: 'counts as a percentage of size (two decimals).' })
  percentages: number[];
}

@ObjectType()
export class Retention {
  @Field(() => String, { description: 'The time zone the days were counted in.' })
  timeZone: string;

  @Field(() => [RetentionCohort])
  cohorts: RetentionCohort[];
}

@ObjectType('AnalyticsSettings', { description: "A project's analytics settings." })
export class AnalyticsSettingsModel {
  @Field(() => String)
  timeZone: string;

  @Field(() => String)
  revenueEvent: string;

  @Field(() => String)
  revenueProperty: string;
}
