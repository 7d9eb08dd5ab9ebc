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

/** What every breakdown group of an answer carries (BreakdownGroup); each question adds its own answer fields. */
@ObjectType({ isAbstract: true })
export abstract class BreakdownGroupFields {
  @Field(() => String, { nullable: true, description: 'The property value (as text); null: profiles without it, or the folded smaller groups (`other`).' })
  value: string | null;

  @Field(() => Boolean, { description: 'The groups beyond the 20 largest, folded together.' })
  other: boolean;

  @Field(() => Int, { description: 'Profiles in the group (cohort members).' })
  profiles: number;
}

@ObjectType({ description: 'The profiles of one breakdown value.' })
export class RetentionGroup extends BreakdownGroupFields {
  @Field(() => [RetentionCohort])
  cohorts: RetentionCohort[];
}

@ObjectType()
export class Retention {
  @Field(() => String, { description: 'The time zone the days were counted in.' })
  timeZone: string;

  @Field(() => [RetentionCohort])
  cohorts: RetentionCohort[];

  @Field(() => [RetentionGroup], { nullable: true, description: 'With a breakdown: the matrix of each value, largest group first.' })
  breakdown: RetentionGroup[] | null;
}

@ObjectType('AnalyticsSettings', { description: "A project's analytics settings." })
export class AnalyticsSettingsModel {
  @Field(() => String)
  timeZone: string;

  @Field(() => String)
  revenueEvent: string;

  @Field(() => String)
  revenueProperty: string;

  @Field(() => Boolean, { description: 'The rollups are being rebuilt under these settings (after a change); until then answers count older events under the previous settings and leave newer ones out.' })
  rebuilding: boolean;
}
