import { Field, InputType, Int, PickType } from '@nestjs/graphql';
import { IsInt, IsOptional } from 'class-validator';
import type { RetentionDriversQuestion } from '../retention-drivers.query.js';
import { RetentionInput } from './retention.input.js';

@InputType({ description: "Retention drivers of the cohort that arrived on local days [from, to) in the project's time zone." })
export class RetentionDriversInput
  extends PickType(RetentionInput, ['startEvent', 'returnEvent', 'from', 'to', 'mode', 'filter'] as const, InputType)
  implements RetentionDriversQuestion
{
  @Field(() => Int, { description: 'What members did in their first days: day 0 to withinDays − 1 (1–90).' })
  @IsInt()
  withinDays: number;

  @Field(() => Int, { description: 'Retained: back on this day (CLASSIC) or on it or later (UNBOUNDED); at least withinDays (1–366).' })
  @IsInt()
  retainedOnDay: number;

  @Field(() => [Int], { nullable: true, description: '"Did it at least n times", for each n (1–5 values; default 1).' })
  @IsOptional()
  @IsInt({ each: true })
  atLeast?: number[] | null;

  @Field(() => Int, { nullable: true, description: 'Most drivers listed (1–200; default 20).' })
  @IsOptional()
  @IsInt()
  limit?: number | null;
}
