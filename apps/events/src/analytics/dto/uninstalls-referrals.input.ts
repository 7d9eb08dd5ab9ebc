import { Field, InputType, Int, PickType, registerEnumType } from '@nestjs/graphql';
import { IsEnum, IsInt, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { ReferralsQuestion, ReferrerSource } from '../referrals.query.js';
import type { UninstallsQuestion } from '../uninstalls.query.js';
import { RetentionInput } from './retention.input.js';

@InputType({ description: "Uninstalls of cohorts by first (start) event; dates are local dates in the project's time zone." })
export class UninstallsInput
  extends PickType(RetentionInput, ['startEvent', 'interval', 'n', 'intervals', 'from', 'to', 'filter', 'breakdown'] as const, InputType)
  implements UninstallsQuestion
{
  @Field(() => String, { nullable: true, description: 'Default: App Uninstalled.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  uninstallEvent?: string | null;
}

export enum ReferrerSourceEnum {
  EVENT = 'EVENT',
  PROFILE = 'PROFILE',
}
registerEnumType(ReferrerSourceEnum, { name: 'ReferrerSource', description: "Where the referrer is read: the install event's property, or the profile's." });

@InputType({ description: "Referrals of the installs on local days [from, to) in the project's time zone." })
export class ReferralsInput extends PickType(RetentionInput, ['from', 'to', 'filter'] as const, InputType) implements ReferralsQuestion {
  @Field(() => String, { nullable: true, description: 'The install: first time of this event; default: the first event of any name.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  installEvent?: string | null;

  @Field(() => ReferrerSourceEnum, { nullable: true, defaultValue: ReferrerSourceEnum.EVENT })
  @IsOptional()
  @IsEnum(ReferrerSourceEnum)
  referrerSource?: ReferrerSource | null;

  @Field(() => String, { nullable: true, description: 'Default: referrer.' })
  @IsOptional()
  @IsString()
  referrerProperty?: string | null;

  @Field(() => Int, { nullable: true, description: "Revenue of the referred in their first days (1–3660); default: all since the install." })
  @IsOptional()
  @IsInt()
  revenueDays?: number | null;

  @Field(() => Int, { nullable: true, description: 'Most referrers listed (1–500; default 50).' })
  @IsOptional()
  @IsInt()
  limit?: number | null;
}
