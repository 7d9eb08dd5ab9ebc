import { Field, InputType } from '@nestjs/graphql';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

@InputType({ description: "Analytics settings; a change rebuilds the project's rollups from its events." })
export class UpdateAnalyticsSettingsInput {
  @Field(() => String, { nullable: true, description: 'IANA time zone days and intervals are counted in (default UTC).' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  timeZone?: string;

  @Field(() => String, { nullable: true, description: 'The event that carries revenue (default Charged).' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  revenueEvent?: string;

  @Field(() => String, { nullable: true, description: "That event's amount property, a number or a decimal string (default Amount)." })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  revenueProperty?: string;
}
