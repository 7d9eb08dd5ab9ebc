import { Field, Float, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'One behaviour in the first days: doing an event at least n times, and how doers retained against non-doers.' })
export class RetentionDriver {
  @Field(() => String)
  event: string;

  @Field(() => Int, { description: 'Did it at least this many times in the first days.' })
  atLeast: number;

  @Field(() => Int)
  doers: number;

  @Field(() => Int)
  doersRetained: number;

  @Field(() => Int)
  nonDoers: number;

  @Field(() => Int)
  nonDoersRetained: number;

  @Field(() => Float, { description: 'Retained doers as a percentage of doers.' })
  doerRate: number;

  @Field(() => Float)
  nonDoerRate: number;

  @Field(() => Float, { description: 'doerRate − nonDoerRate, in percentage points.' })
  difference: number;

  @Field(() => Float, { description: 'Lower end of the 95 % interval of the difference (normal approximation).' })
  low: number;

  @Field(() => Float, { description: 'Upper end of the 95 % interval.' })
  high: number;
}

@ObjectType({ description: 'What retained members did in their first days that others did not, ranked by the retention difference.' })
export class RetentionDrivers {
  @Field(() => String)
  timeZone: string;

  @Field(() => Int, { description: 'Cohort members whose judging day has begun.' })
  members: number;

  @Field(() => Int, { description: 'Of those, retained.' })
  retained: number;

  @Field(() => [RetentionDriver])
  drivers: RetentionDriver[];
}
