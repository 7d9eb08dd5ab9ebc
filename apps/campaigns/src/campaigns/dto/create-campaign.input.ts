import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsDate, IsEnum, IsInt, IsNotEmpty, IsOptional, IsTimeZone, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { CampaignInAppInput } from '../../in-app/dto/campaign-in-app.input.js';
import { CampaignWebhookInput } from '../../webhooks/dto/campaign-webhook.input.js';
import { CampaignDayRuleInput } from '../../schedules/dto/campaign-day-rule.input.js';
import { CampaignTriggerInput } from '../../triggers/dto/campaign-trigger.input.js';
import { CampaignVariantInput, VariantPromotionInput } from '../../variants/dto/campaign-variant.input.js';
import { CampaignChannel, QuietHoursBehavior } from '../campaign.model.js';

@InputType()
export class CampaignScheduleInput {
  @Field({ description: 'When the campaign sends (once), or from when it recurs.' })
  @IsDate()
  startAt: Date;

  @Field({ description: 'IANA time zone, e.g. Europe/Berlin: the local time of each recurrence.' })
  @IsTimeZone()
  timeZone: string;

  @Field(() => String, { nullable: true, description: 'RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=SA;BYHOUR=9 (HOURLY or slower).' })
  @IsOptional()
  @MaxLength(500)
  @Matches(/^(RRULE:)?[A-Z0-9=;,+\-:]+$/i, { message: 'rrule must be an RRULE value such as FREQ=WEEKLY;BYDAY=SA' })
  rrule?: string | null;

  @Field(() => Date, { nullable: true, description: 'No occurrence after this moment.' })
  @IsOptional()
  @IsDate()
  endAt?: Date | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      "At startAt's local time (read in timeZone) in each profile's own time zone (the project's for profiles without one): once, or with rrule (DAILY or slower) each occurrence at its local time in every zone.",
  })
  @IsOptional()
  @IsBoolean()
  inProfileTimeZone?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      'With inProfileTimeZone: a profile whose time zone first appears (or changes) after its local send time has passed that day gets the send at once; false: at its zone’s next occurrence (a one-time send: not at all).',
  })
  @IsOptional()
  @IsBoolean()
  catchUpLateZones?: boolean | null;
}

@InputType()
export class CampaignAudienceInput {
  @Field({ defaultValue: false, description: 'Every profile of the project.' })
  @IsBoolean()
  everyone: boolean;

  @Field(() => [ID], { defaultValue: [] })
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  includeSegmentIds: string[];

  @Field(() => [ID], { defaultValue: [] })
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  excludeSegmentIds: string[];
}

@InputType()
export class CampaignEmailInput {
  @Field(() => ID)
  @IsUUID()
  templateId: string;

  @Field(() => Int, { description: 'The template version to pin.' })
  @IsInt()
  @Min(1)
  templateVersion: number;
}

@InputType()
export class CampaignGoalInput {
  @Field({ description: 'The event name that counts as a conversion.' })
  @IsNotEmpty()
  @MaxLength(200)
  event: string;

  @Field(() => Int, { description: 'Days after the send (or the control decision) within which it counts (1–90).' })
  @IsInt()
  @Min(1)
  @Max(90)
  withinDays: number;
}

@InputType()
export class CreateCampaignInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @Field(() => CampaignChannel)
  @IsEnum(CampaignChannel)
  channel: CampaignChannel;

  @Field(() => ID, { nullable: true, description: 'The segment to reach (owned by the segments subgraph); the same as audience.includeSegmentIds: [id].' })
  @IsOptional()
  @IsUUID()
  audienceSegmentId?: string | null;

  @Field(() => CampaignAudienceInput, { nullable: true, description: 'Who is targeted; default: the members of audienceSegmentId.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignAudienceInput)
  audience?: CampaignAudienceInput | null;

  @Field(() => CampaignScheduleInput, { nullable: true, description: 'null: sends once, when the campaign is scheduled.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignScheduleInput)
  schedule?: CampaignScheduleInput | null;

  @Field(() => CampaignEmailInput, { nullable: true, description: 'Required by EMAIL campaigns before they are scheduled.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignEmailInput)
  email?: CampaignEmailInput | null;

  @Field(() => CampaignInAppInput, { nullable: true, description: 'Required by IN_APP campaigns before they are scheduled.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignInAppInput)
  inApp?: CampaignInAppInput | null;

  @Field(() => CampaignWebhookInput, { nullable: true, description: 'Required by WEBHOOK campaigns before they are scheduled.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignWebhookInput)
  webhook?: CampaignWebhookInput | null;

  @Field(() => CampaignTriggerInput, { nullable: true, description: 'Sends to each profile when it fires (instead of a schedule).' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignTriggerInput)
  trigger?: CampaignTriggerInput | null;

  @Field(() => [CampaignVariantInput], { nullable: true, description: 'A/B test (EMAIL): 2–5 variants, weights adding up to 100, each profile always gets the same one.' })
  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => CampaignVariantInput)
  variants?: CampaignVariantInput[] | null;

  @Field(() => VariantPromotionInput, { nullable: true, description: 'Promote the best-converting variant when the test phase ends (needs variants and a goal).' })
  @IsOptional()
  @ValidateNested()
  @Type(() => VariantPromotionInput)
  variantPromotion?: VariantPromotionInput | null;

  @Field(() => CampaignDayRuleInput, { nullable: true, description: 'Skip weekends and/or public holidays, or send only on them.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignDayRuleInput)
  dayRule?: CampaignDayRuleInput | null;

  @Field(() => QuietHoursBehavior, { nullable: true, description: 'Default DEFER.' })
  @IsOptional()
  @IsEnum(QuietHoursBehavior)
  quietHours?: QuietHoursBehavior | null;

  @Field(() => Int, { nullable: true, description: 'Control group: 0 (default), or 2–99 percent of the audience.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(99)
  controlPercent?: number | null;

  @Field(() => CampaignGoalInput, { nullable: true, description: 'Conversion goal: stats count it and the lift over the control group.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignGoalInput)
  goal?: CampaignGoalInput | null;

  @Field(() => Int, { nullable: true, description: 'Most sends per minute (1–100000); null for no limit.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  throttlePerMinute?: number | null;
}
