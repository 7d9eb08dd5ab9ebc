import { Field, InputType, Int, registerEnumType } from '@nestjs/graphql';
import { IsEnum, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { AnalyticsBreakdownInput, AnalyticsFilterInput } from './analytics-filter.input.js';
import { MAX_INTERVALS, type RetentionMode, type RetentionQuestion, type RetentionUnit } from '../retention.js';

export enum RetentionInterval {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
  N_DAYS = 'N_DAYS',
}
registerEnumType(RetentionInterval, {
  name: 'RetentionInterval',
  description: "The product's own frequency: local days, ISO weeks (Monday first), calendar months, or runs of `n` days from `from`.",
});

export enum RetentionCounting {
  CLASSIC = 'CLASSIC',
  UNBOUNDED = 'UNBOUNDED',
}
registerEnumType(RetentionCounting, {
  name: 'RetentionMode',
  description: 'CLASSIC: did the return event in interval k. UNBOUNDED: did it in interval k or any later one shown.',
});

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

@InputType({ description: "A retention matrix; dates are local dates in the project's analytics time zone." })
export class RetentionInput implements RetentionQuestion {
  @Field(() => String, { nullable: true, description: 'Cohorts by the first time a profile did this event; default: its first event of any name.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  startEvent?: string | null;

  @Field(() => String, { nullable: true, description: 'What counts as a return; default: any event.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  returnEvent?: string | null;

  @Field(() => RetentionInterval)
  @IsEnum(RetentionInterval)
  interval: RetentionUnit;

  @Field(() => Int, { nullable: true, description: 'Days per interval, with N_DAYS only (1–366).' })
  @IsOptional()
  @IsInt()
  n?: number | null;

  @Field(() => Int, { description: `Intervals per cohort, interval 0 included (1–${MAX_INTERVALS}).` })
  @IsInt()
  @Min(1)
  @Max(MAX_INTERVALS)
  intervals: number;

  @Field(() => String, { description: 'First day of the cohorts (YYYY-MM-DD, inclusive).' })
  @IsString()
  @Matches(LOCAL_DATE, { message: 'must be a date YYYY-MM-DD' })
  from: string;

  @Field(() => String, { description: 'End of the cohorts (YYYY-MM-DD, exclusive).' })
  @IsString()
  @Matches(LOCAL_DATE, { message: 'must be a date YYYY-MM-DD' })
  to: string;

  @Field(() => RetentionCounting, { nullable: true, defaultValue: RetentionCounting.CLASSIC })
  @IsOptional()
  @IsEnum(RetentionCounting)
  mode?: RetentionMode | null;

  @Field(() => AnalyticsFilterInput, { nullable: true, description: 'Only these profiles (and events) count.' })
  @IsOptional()
  filter?: AnalyticsFilterInput | null;

  @Field(() => AnalyticsBreakdownInput, { nullable: true, description: 'Also one matrix per value of this property (`Retention.breakdown`).' })
  @IsOptional()
  breakdown?: AnalyticsBreakdownInput | null;
}
