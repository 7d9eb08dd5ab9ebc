import { Field, InputType, registerEnumType } from '@nestjs/graphql';
import { IsBoolean, IsEnum, IsOptional, Matches } from 'class-validator';

export enum DayRuleMode {
  SKIP = 'skip',
  ONLY = 'only',
}
registerEnumType(DayRuleMode, { name: 'DayRuleMode', description: 'SKIP the days named, or send ONLY on them.' });

@InputType({ description: "Weekends and public holidays: skip them, or send only on them (the profile's local day)." })
export class CampaignDayRuleInput {
  @Field(() => DayRuleMode)
  @IsEnum(DayRuleMode)
  mode: DayRuleMode;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Saturdays and Sundays.' })
  @IsOptional()
  @IsBoolean()
  weekends?: boolean | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Public holidays (not observances or optional days).' })
  @IsOptional()
  @IsBoolean()
  holidays?: boolean | null;

  @Field(() => String, { nullable: true, description: "The country whose holidays count (ISO 3166-1 alpha-2); default: each profile's country (its `country` property)." })
  @IsOptional()
  @Matches(/^[A-Za-z]{2}$/, { message: 'country must be a two-letter ISO 3166-1 code' })
  country?: string | null;
}
