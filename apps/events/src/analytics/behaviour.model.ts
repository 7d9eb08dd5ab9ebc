import { Directive, Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { BreakdownGroupFields } from './analytics.model.js';
import { FunnelOrderEnum } from './dto/behaviour.enums.js';
import type { FunnelOrder } from './funnel.query.js';

@ObjectType({ description: 'One step of a funnel answer.' })
export class FunnelStepResult {
  @Field(() => String)
  event: string;

  @Field(() => Int, { description: 'Profiles that reached this step.' })
  profiles: number;

  @Field(() => Float, { description: 'profiles as a percentage of the previous step (100 for step 1).' })
  conversionFromPrevious: number;

  @Field(() => Float, { description: 'profiles as a percentage of step 1.' })
  conversionFromFirst: number;

  @Field(() => Float, { nullable: true, description: 'Median seconds from the previous step (STRICT_ORDER) or from having done the previous steps (ANY_ORDER); null for step 1 or when none reached it.' })
  medianSecondsFromPrevious: number | null;
}

@ObjectType({ description: "One breakdown group's funnel (profiles: its entrants)." })
export class FunnelGroup extends BreakdownGroupFields {
  @Field(() => [FunnelStepResult])
  steps: FunnelStepResult[];
}

@ObjectType()
export class Funnel {
  @Field(() => String)
  timeZone: string;

  @Field(() => FunnelOrderEnum)
  order: FunnelOrder;

  @Field(() => [FunnelStepResult])
  steps: FunnelStepResult[];

  @Field(() => [FunnelGroup], {
    nullable: true,
    description: "With a breakdown: the steps per value of the entrant's profile property, or of the property on its entry (the step-1 event it entered at); the 20 largest, the rest as `other`.",
  })
  breakdown: FunnelGroup[] | null;
}

@ObjectType()
export class TrendPointResult {
  @Field(() => String, { description: 'Start of the interval: a local date, or a local date-time with offset for HOUR.' })
  start: string;

  @Field(() => Float)
  value: number;
}

@ObjectType()
export class TrendSeriesResult {
  @Field(() => String)
  from: string;

  @Field(() => String)
  to: string;

  @Field(() => [TrendPointResult])
  points: TrendPointResult[];

  @Field(() => Float, { description: 'The whole period: the sum, the average, or the distinct profiles over all of it (not the sum of the points).' })
  total: number;
}

@ObjectType({ description: "One breakdown group's series: the current period, and with compareToPrevious the same group's previous one." })
export class TrendsGroup extends BreakdownGroupFields {
  @Field(() => [TrendPointResult])
  points: TrendPointResult[];

  @Field(() => Float)
  total: number;

  @Field(() => TrendSeriesResult, {
    nullable: true,
    description:
      "The same group in the period just before (compareToPrevious): the profiles or events with this group's value then; `other` holds every value not among the current period's groups. Zeros when the group had nothing then.",
  })
  previous: TrendSeriesResult | null;

  @Field(() => Float, { nullable: true, description: "Change of this group's total from its previous period, in percent (null without one, or when it was 0)." })
  change: number | null;
}

@ObjectType()
export class Trends extends TrendSeriesResult {
  @Field(() => String)
  timeZone: string;

  @Field(() => TrendSeriesResult, { nullable: true, description: 'The period just before, as long (compareToPrevious).' })
  previous: TrendSeriesResult | null;

  @Field(() => Float, { nullable: true, description: 'Change of total from the previous period, in percent.' })
  change: number | null;

  @Field(() => [TrendsGroup], {
    nullable: true,
    description: "With a breakdown: a series per value (of the profile's property, or of the counted event's own property; an event's profile can be in several), the 20 largest by profiles, the rest as `other`.",
  })
  breakdown: TrendsGroup[] | null;
}

@ObjectType()
export class StickinessDayResult {
  @Field(() => String)
  day: string;

  @Field(() => Int)
  dau: number;

  @Field(() => Int, { description: 'Profiles active in the 7 days ending this day.' })
  wau: number;

  @Field(() => Int, { description: 'Profiles active in the 30 days ending this day.' })
  mau: number;

  @Field(() => Float, { description: 'dau / mau in percent.' })
  dauOverMau: number;
}

@ObjectType()
export class StickinessWeekResult {
  @Field(() => String)
  start: string;

  @Field(() => [Int], { description: 'Element d − 1: profiles active on exactly d days of the week.' })
  profilesByActiveDays: number[];
}

@ObjectType({ description: "One breakdown group's stickiness (profiles: those active in the range)." })
export class StickinessGroup extends BreakdownGroupFields {
  @Field(() => [StickinessDayResult])
  days: StickinessDayResult[];

  @Field(() => [StickinessWeekResult])
  weeks: StickinessWeekResult[];
}

@ObjectType()
export class Stickiness {
  @Field(() => String)
  timeZone: string;

  @Field(() => [StickinessDayResult])
  days: StickinessDayResult[];

  @Field(() => [StickinessWeekResult])
  weeks: StickinessWeekResult[];

  @Field(() => [StickinessGroup], {
    nullable: true,
    description: "With a breakdown: the same per value of the profile's property, or of the property on its first event (its acquisition source); the 20 largest, the rest as `other`.",
  })
  breakdown: StickinessGroup[] | null;
}

@ObjectType()
export class LifecycleIntervalResult {
  @Field(() => String, { description: 'First local day of the interval.' })
  start: string;

  @Field(() => Int, { description: 'First seen in this interval.' })
  new: number;

  @Field(() => Int, { description: 'Active in this interval and the one before.' })
  returning: number;

  @Field(() => Int, { description: 'Active in this interval, not in the one before, first seen earlier.' })
  resurrecting: number;

  @Field(() => Int, { description: 'Active in the interval before, not in this one.' })
  dormant: number;
}

@ObjectType({ description: "One breakdown group's lifecycle (profiles: those active in the chart or the interval before)." })
export class LifecycleGroup extends BreakdownGroupFields {
  @Field(() => [LifecycleIntervalResult])
  intervals: LifecycleIntervalResult[];
}

@ObjectType()
export class Lifecycle {
  @Field(() => String)
  timeZone: string;

  @Field(() => [LifecycleIntervalResult])
  intervals: LifecycleIntervalResult[];

  @Field(() => [LifecycleGroup], {
    nullable: true,
    description: "With a breakdown: the states per value of the profile's property, or of the property on its first event (its acquisition source); the 20 largest, the rest as `other`.",
  })
  breakdown: LifecycleGroup[] | null;
}

/** A segment owned by the segments subgraph; this subgraph only refers to it. */
@ObjectType('Segment')
@Directive('@key(fields: "id", resolvable: false)')
export class SegmentReference {
  @Field(() => ID) id: string;
}

@ObjectType({ description: 'Profiles of an analytics answer saved as a STATIC segment.' })
export class AnalyticsCohort {
  @Field(() => SegmentReference)
  segment: SegmentReference;

  @Field(() => Int, { description: 'Profiles saved into it.' })
  profiles: number;
}
