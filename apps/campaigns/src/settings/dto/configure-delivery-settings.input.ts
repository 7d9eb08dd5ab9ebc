import { Field, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsTimeZone, Matches, Max, Min, ValidateNested } from 'class-validator';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

@InputType()
export class QuietHoursInput {
  @Field()
  @Matches(HH_MM, { message: 'start must be HH:MM (00:00–23:59)' })
  start: string;

  @Field()
  @Matches(HH_MM, { message: 'end must be HH:MM (00:00–23:59)' })
  end: string;
}

@InputType()
export class FrequencyCapInput {
  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(1000)
  max: number;

  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(365)
  days: number;
}

@InputType()
export class ConfigureCampaignDeliveryInput {
  @Field(() => Int, { defaultValue: 0, description: 'System-wide holdout: 0, or 2–10 percent of profiles.' })
  @IsInt()
  @Min(0)
  @Max(10)
  holdoutPercent: number;

  @Field({ defaultValue: 'UTC' })
  @IsTimeZone()
  timeZone: string;

  @Field(() => QuietHoursInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuietHoursInput)
  quietHours?: QuietHoursInput | null;

  @Field(() => FrequencyCapInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => FrequencyCapInput)
  emailCap?: FrequencyCapInput | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_080)
  minGapMinutes?: number | null;
}
