import { Field, InputType, PickType } from '@nestjs/graphql';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { ValueRetentionQuestion } from '../value-retention.query.js';
import { RetentionInput } from './retention.input.js';

@InputType({ description: 'Only amounts in one currency.' })
export class CurrencyInput {
  @Field(() => String, { description: "The event's currency property (e.g. Currency)." })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  property: string;

  @Field(() => String, { description: 'The currency code amounts must carry (e.g. INR).' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  value: string;
}

@InputType({ description: "Value retention and LTV: cohorts as retention's; dates are local dates in the project's analytics time zone." })
export class ValueRetentionInput
  extends PickType(RetentionInput, ['startEvent', 'interval', 'n', 'intervals', 'from', 'to', 'filter', 'breakdown'] as const, InputType)
  implements ValueRetentionQuestion
{
  @Field(() => String, { nullable: true, description: "The event carrying revenue; default: the project's revenue event." })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  revenueEvent?: string | null;

  @Field(() => String, { nullable: true, description: "Its amount property (a number or a decimal string); default: the project's revenue property." })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  amountProperty?: string | null;

  @Field(() => CurrencyInput, { nullable: true })
  @IsOptional()
  currency?: CurrencyInput | null;
}
