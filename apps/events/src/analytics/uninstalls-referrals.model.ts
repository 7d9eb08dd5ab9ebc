import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { BreakdownGroupFields } from './analytics.model.js';

@ObjectType({ description: 'Uninstalls of one cohort.' })
export class UninstallCohort {
  @Field(() => String, { description: 'Its first local day (YYYY-MM-DD).' })
  start: string;

  @Field(() => Int)
  size: number;

  @Field(() => Int, { description: 'Members who uninstalled on or after their first day (first uninstall).' })
  uninstalled: number;

  @Field(() => Float, { description: 'uninstalled as a percentage of size (two decimals).' })
  percentage: number;

  @Field(() => [Int], { description: 'Members whose first uninstall fell in interval k since their arrival.' })
  byInterval: number[];

  @Field(() => Float, { nullable: true, description: 'Median days from the first day to the uninstall.' })
  medianDays: number | null;

  @Field(() => Float, { nullable: true })
  meanDays: number | null;
}

@ObjectType()
export class UninstallGroup extends BreakdownGroupFields {
  @Field(() => [UninstallCohort])
  cohorts: UninstallCohort[];
}

@ObjectType({ description: 'Uninstall rate and days to uninstall per cohort.' })
export class Uninstalls {
  @Field(() => String)
  timeZone: string;

  @Field(() => String)
  uninstallEvent: string;

  @Field(() => [UninstallCohort])
  cohorts: UninstallCohort[];

  @Field(() => [UninstallGroup], { nullable: true })
  breakdown: UninstallGroup[] | null;
}

@ObjectType({ description: "One referrer's referred installs and their revenue." })
export class Referrer {
  @Field(() => String, { description: 'The referrer property value (a user id or code).' })
  referrer: string;

  @Field(() => ID, { nullable: true, description: "The referrer's profile, when the value is a user id events knows." })
  referrerProfileId: string | null;

  @Field(() => Int)
  installs: number;

  @Field(() => Int, { description: 'Referred profiles who paid.' })
  payers: number;

  @Field(() => Float)
  revenue: number;
}

@ObjectType({ description: 'Referrer → referred installs → their revenue.' })
export class Referrals {
  @Field(() => String)
  timeZone: string;

  @Field(() => Int, { description: 'Installs in the period.' })
  installs: number;

  @Field(() => Int, { description: 'Of those, carrying a referrer.' })
  referredInstalls: number;

  @Field(() => Int)
  referredPayers: number;

  @Field(() => Float)
  referredRevenue: number;

  @Field(() => Int, { description: 'Distinct referrers.' })
  referrers: number;

  @Field(() => [Referrer], { description: 'Per referrer, most installs first.' })
  top: Referrer[];
}
