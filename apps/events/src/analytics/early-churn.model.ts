import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { BreakdownGroupFields } from './analytics.model.js';

@ObjectType({ description: 'Early churn at one day since arrival.' })
export class ChurnPoint {
  @Field(() => Int, { description: 'Days since the first day (day 0).' })
  day: number;

  @Field(() => Int, { description: 'Members whose day `day` has begun (the others cannot be judged yet).' })
  eligible: number;

  @Field(() => Int, { description: 'Of those, members never seen on day `day` or later.' })
  churned: number;

  @Field(() => Float, { description: 'churned as a percentage of eligible (two decimals).' })
  percentage: number;
}

@ObjectType({ description: 'The early churn of one breakdown value (e.g. an acquisition source).' })
export class EarlyChurnGroup extends BreakdownGroupFields {
  @Field(() => [ChurnPoint])
  points: ChurnPoint[];
}

@ObjectType({ description: 'Share of the profiles that arrived in a period never seen again after day 1, 3, 7, 30, ….' })
export class EarlyChurn {
  @Field(() => String)
  timeZone: string;

  @Field(() => Int, { description: 'Profiles that arrived in the period.' })
  size: number;

  @Field(() => [ChurnPoint])
  points: ChurnPoint[];

  @Field(() => [EarlyChurnGroup], { nullable: true })
  breakdown: EarlyChurnGroup[] | null;
}
