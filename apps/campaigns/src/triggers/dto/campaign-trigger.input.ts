import { Field, ID, InputType, Int, registerEnumType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsEnum, IsInt, IsNotEmpty, IsOptional, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ConditionOp, ConditionValueScalar, ConditionValueType, PropertyConditionInput } from '@boomerang/audience/graphql';
import type { ReEligibility } from '../campaign-trigger.js';

/*
 * Property conditions in the audience language's GraphQL vocabulary (the same ConditionOp,
 * ConditionValueType, ConditionValue and PropertyConditionInput as segments' rules): the
 * supergraph merges the two subgraphs' identical definitions.
 */
export { ConditionOp, ConditionValueScalar, ConditionValueType, PropertyConditionInput };

export enum SegmentTransition {
  ENTERED = 'entered',
  EXITED = 'exited',
}
registerEnumType(SegmentTransition, { name: 'SegmentTransition', description: 'Entering or leaving a segment.' });

export const ReEligibilityKind = { ONCE: 'once', EVERY_TIME: 'every_time', PER_DAYS: 'per_days' } as const satisfies Record<string, ReEligibility>;
registerEnumType(ReEligibilityKind, {
  name: 'ReEligibility',
  description: 'How often one profile may get a triggered campaign: ONCE ever, EVERY_TIME the trigger fires, or once PER_DAYS (reEligibleAfterDays).',
});

@InputType()
export class TriggerEventInput {
  @Field({ description: 'The event name that fires the trigger.' })
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @Field(() => [PropertyConditionInput], { nullable: true, description: "Every condition must hold on the event's properties." })
  @IsOptional()
  @ArrayMaxSize(20)
  where?: PropertyConditionInput[] | null;
}

@InputType()
export class TriggerSegmentInput {
  @Field(() => ID)
  @IsUUID()
  segmentId: string;

  @Field(() => SegmentTransition)
  @IsEnum(SegmentTransition)
  change: SegmentTransition;
}

@InputType({ description: 'Only if the profile has (done: true) or has not (done: false) done this event between the trigger and the send.' })
export class TriggerSinceInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  event: string;

  @Field(() => [PropertyConditionInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(20)
  where?: PropertyConditionInput[] | null;

  @Field()
  @IsBoolean()
  done: boolean;
}

@InputType({ description: 'Sends to a profile when it does an event, or enters or leaves a segment (give one of event, segment).' })
export class CampaignTriggerInput {
  @Field(() => TriggerEventInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => TriggerEventInput)
  event?: TriggerEventInput | null;

  @Field(() => TriggerSegmentInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => TriggerSegmentInput)
  segment?: TriggerSegmentInput | null;

  @Field(() => Int, { nullable: true, description: 'Minutes after the trigger before the send (0–43200, default 0).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(43_200)
  delayMinutes?: number | null;

  @Field(() => TriggerSinceInput, { nullable: true, description: 'e.g. "has not done Order Completed": needs delayMinutes ≥ 1.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => TriggerSinceInput)
  since?: TriggerSinceInput | null;

  @Field(() => ReEligibilityKind, { nullable: true, description: 'Default ONCE.' })
  @IsOptional()
  reEligibility?: ReEligibility | null;

  @Field(() => Int, { nullable: true, description: 'With PER_DAYS: days before the same profile may get it again (1–365).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  reEligibleAfterDays?: number | null;
}
