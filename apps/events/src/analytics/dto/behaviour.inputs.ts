import { Field, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { Allow, ArrayMaxSize, ArrayMinSize, IsBoolean, IsEnum, IsInt, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { MAX_FUNNEL_STEPS, MIN_FUNNEL_STEPS, type FunnelOrder, type FunnelQuestion, type FunnelWindowUnit } from '../funnel.query.js';
import type { LifecycleInterval, LifecycleQuestion, LifecycleState } from '../lifecycle.query.js';
import type { StickinessQuestion } from '../stickiness.query.js';
import type { TrendInterval, TrendMeasure, TrendsQuestion } from '../trends.query.js';
import { AnalyticsBreakdownInput, AnalyticsFilterInput, PropertyConditionInput } from './analytics-filter.input.js';
import { RetentionDriversInput } from './retention-drivers.input.js';
import { FunnelOrderEnum, FunnelWindowUnitEnum, LifecycleIntervalEnum, LifecycleStateEnum, TrendIntervalEnum, TrendMeasureEnum } from './behaviour.enums.js';

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CONDITIONS = 'Conditions on the properties of this event, all of which must hold (the segment rules\' conditions).';

@InputType({ isAbstract: true })
abstract class LocalRangeInput {
  @Field(() => String, { description: 'First local day (YYYY-MM-DD, inclusive).' })
  @IsString()
  @Matches(LOCAL_DATE, { message: 'must be a date YYYY-MM-DD' })
  from: string;

  @Field(() => String, { description: 'Last local day, exclusive (YYYY-MM-DD).' })
  @IsString()
  @Matches(LOCAL_DATE, { message: 'must be a date YYYY-MM-DD' })
  to: string;

  @Field(() => AnalyticsFilterInput, { nullable: true, description: 'Only these profiles (a segment, profile properties) and events (event properties) count.' })
  @IsOptional()
  filter?: AnalyticsFilterInput | null;

  @Field(() => AnalyticsBreakdownInput, { nullable: true, description: 'Also the answer per value of this property (`breakdown` of the answer): the 20 largest groups, the rest as one `other`.' })
  @IsOptional()
  breakdown?: AnalyticsBreakdownInput | null;
}

@InputType()
export class FunnelStepInput {
  // Checked by the funnel (checkFunnel), which names `input.steps[2].event` as the conditions' paths are named.
  @Field(() => String, { description: 'An event name, 1 to 200 characters.' })
  @Allow()
  event: string;

  @Field(() => [PropertyConditionInput], { nullable: true, description: CONDITIONS })
  @IsOptional()
  where?: PropertyConditionInput[] | null;
}

@InputType({ description: "A funnel: profiles enter at their first step-1 event in the range (local days, project time zone)." })
export class FunnelInput extends LocalRangeInput implements FunnelQuestion {
  @Field(() => [FunnelStepInput], { description: `${MIN_FUNNEL_STEPS} to ${MAX_FUNNEL_STEPS} steps, in order.` })
  @ValidateNested({ each: true })
  @Type(() => FunnelStepInput)
  @ArrayMinSize(MIN_FUNNEL_STEPS)
  @ArrayMaxSize(MAX_FUNNEL_STEPS)
  steps: FunnelStepInput[];

  @Field(() => Int, { description: 'Every step within this long after the entry (step 1).' })
  @IsInt()
  @Min(1)
  conversionWindow: number;

  @Field(() => FunnelWindowUnitEnum, { nullable: true, defaultValue: FunnelWindowUnitEnum.DAY })
  @IsOptional()
  @IsEnum(FunnelWindowUnitEnum)
  conversionWindowUnit?: FunnelWindowUnit | null;

  @Field(() => FunnelOrderEnum, { nullable: true, defaultValue: FunnelOrderEnum.STRICT_ORDER })
  @IsOptional()
  @IsEnum(FunnelOrderEnum)
  order?: FunnelOrder | null;
}

@InputType({ description: 'A trend over time and, optionally, the period just before.' })
export class TrendsInput extends LocalRangeInput implements TrendsQuestion {
  @Field(() => String, { nullable: true, description: 'The event counted; default: any event.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  event?: string | null;

  @Field(() => [PropertyConditionInput], { nullable: true, description: CONDITIONS })
  @IsOptional()
  where?: PropertyConditionInput[] | null;

  @Field(() => TrendMeasureEnum)
  @IsEnum(TrendMeasureEnum)
  measure: TrendMeasure;

  @Field(() => String, { nullable: true, description: 'The numeric property summed or averaged (SUM, AVERAGE): numbers and decimal strings.' })
  @IsOptional()
  @IsString()
  property?: string | null;

  @Field(() => TrendIntervalEnum)
  @IsEnum(TrendIntervalEnum)
  interval: TrendInterval;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  @IsOptional()
  @IsBoolean()
  compareToPrevious?: boolean | null;
}

@InputType({ description: 'DAU, WAU, MAU per day and active days per week.' })
export class StickinessInput extends LocalRangeInput implements StickinessQuestion {
  @Field(() => String, { nullable: true, description: 'Active means did this event; default: any event.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  event?: string | null;
}

@InputType({ description: 'New, returning, resurrecting and dormant profiles per interval.' })
export class LifecycleInput extends LocalRangeInput implements LifecycleQuestion {
  @Field(() => String, { nullable: true, description: 'Active means did this event (and new: did it first); default: any event.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  event?: string | null;

  @Field(() => LifecycleIntervalEnum)
  @IsEnum(LifecycleIntervalEnum)
  interval: LifecycleInterval;
}

@InputType({ description: "A funnel's profiles: those that reached `step` but not the next (dropped, the default), or that reached it." })
export class FunnelCohortInput {
  @Field(() => FunnelInput)
  @ValidateNested()
  @Type(() => FunnelInput)
  question: FunnelInput;

  @Field(() => Int, { description: 'A step, from 1.' })
  @IsInt()
  @Min(1)
  step: number;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  @IsOptional()
  @IsBoolean()
  dropped?: boolean | null;
}

@InputType({ description: 'The profiles in one lifecycle state in one interval of a lifecycle question.' })
export class LifecycleCohortInput {
  @Field(() => LifecycleInput)
  @ValidateNested()
  @Type(() => LifecycleInput)
  question: LifecycleInput;

  @Field(() => LifecycleStateEnum)
  @IsEnum(LifecycleStateEnum)
  state: LifecycleState;

  @Field(() => String, { description: "The interval's first local day (YYYY-MM-DD), as the lifecycle answer gives it." })
  @IsString()
  @Matches(LOCAL_DATE, { message: 'must be a date YYYY-MM-DD' })
  intervalStart: string;
}

@InputType({ description: "A retention driver's doers (did `event` at least `atLeast` times in the first days; the default) or non-doers." })
export class DriversCohortInput {
  @Field(() => RetentionDriversInput)
  @ValidateNested()
  @Type(() => RetentionDriversInput)
  question: RetentionDriversInput;

  @Field(() => String)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  event: string;

  @Field(() => Int, { nullable: true, defaultValue: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  atLeast?: number | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'true: the doers; false: the non-doers.' })
  @IsOptional()
  @IsBoolean()
  doers?: boolean | null;
}

@InputType({ description: 'Profiles an analytics answer counted, saved as a STATIC segment: give exactly one of funnel, lifecycle and drivers.' })
export class SaveAnalyticsCohortInput {
  @Field(() => String)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @Field(() => FunnelCohortInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => FunnelCohortInput)
  funnel?: FunnelCohortInput | null;

  @Field(() => LifecycleCohortInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => LifecycleCohortInput)
  lifecycle?: LifecycleCohortInput | null;

  @Field(() => DriversCohortInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => DriversCohortInput)
  drivers?: DriversCohortInput | null;
}
