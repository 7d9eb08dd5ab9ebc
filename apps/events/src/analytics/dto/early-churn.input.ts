import { Field, InputType, Int, PickType } from '@nestjs/graphql';
import { ArrayMaxSize, IsInt, IsOptional } from 'class-validator';
import type { EarlyChurnQuestion } from '../early-churn.query.js';
import { RetentionInput } from './retention.input.js';

@InputType({ description: "Early churn of the profiles that arrived on local days [from, to) in the project's time zone." })
export class EarlyChurnInput extends PickType(RetentionInput, ['startEvent', 'from', 'to', 'filter', 'breakdown'] as const, InputType) implements EarlyChurnQuestion {
  @Field(() => [Int], { nullable: true, description: 'Days since arrival to judge at (1–366, at most 10); default 1, 3, 7, 30.' })
  @IsOptional()
  @ArrayMaxSize(10)
  @IsInt({ each: true })
  days?: number[] | null;
}
