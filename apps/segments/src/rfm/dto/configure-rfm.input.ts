import { Field, InputType, Int } from '@nestjs/graphql';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

@InputType({ description: 'The whole RFM configuration of the project (fields left out take their defaults).' })
export class ConfigureRfmInput {
  @Field({ description: 'The event that is a purchase, e.g. "Charged".' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  purchaseEvent: string;

  @Field({ description: 'The numeric event property summed for M, e.g. "Amount" (a dot path for nested properties).' })
  @IsString()
  @MaxLength(200)
  @Matches(/^[^.]+(\.[^.]+)*$/, { message: 'amountProperty must be a property name or a dot path of names (a.b.c)' })
  amountProperty: string;

  @Field(() => Int, { defaultValue: 365, description: 'Purchases of the last this many days count.' })
  @IsInt()
  @Min(1)
  @Max(3660)
  windowDays: number;

  @Field(() => String, { nullable: true, description: 'IANA zone for the daily recompute and for counting days; default UTC.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  timeZone?: string | null;

  @Field(() => String, { nullable: true, description: 'Local time of the daily recompute, HH:MM (24 h); default 03:00.' })
  @IsOptional()
  @Matches(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'recomputeAt must be a time HH:MM from 00:00 to 23:59' })
  recomputeAt?: string | null;
}
