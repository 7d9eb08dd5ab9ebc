import { Field, ID, InputType, Int, registerEnumType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsEnum, IsInt, IsNotEmpty, IsOptional, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { GraphQLScalarType, Kind } from 'graphql';
import { CONDITION_OPS, VALUE_TYPES } from '@boomerang/audience';
import type { ReEligibility } from '../campaign-trigger.js';

/*
 * Property conditions in the audience language's GraphQL vocabulary (the same ConditionOp,
 * ConditionValueType, ConditionValue and PropertyConditionInput as segments' rules): the
 * supergraph merges the two subgraphs' identical definitions.
 */
const upperSnake = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((value) => [upperSnake(value), value])) as Record<string, T>;

export const ConditionOp = enumOf(CONDITION_OPS);
export const ConditionValueType = enumOf(VALUE_TYPES);
registerEnumType(ConditionOp, { name: 'ConditionOp', description: 'How a property is compared. EXISTS / NOT_EXISTS take no value; BETWEEN, IN, NOT_IN take `values`.' });
registerEnumType(ConditionValueType, { name: 'ConditionValueType', description: 'What a condition compares as (default: the type of its value).' });

export const ConditionValueScalar = new GraphQLScalarType({
  name: 'ConditionValue',
  description: 'A string, number or boolean; dates as ISO 8601 strings.',
  serialize: (value) => value,
  parseValue: (value) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    throw new TypeError('a condition value is a string, number or boolean');
  },
  parseLiteral: (node) => {
    if (node.kind === Kind.STRING || node.kind === Kind.BOOLEAN) return node.value;
    if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
    throw new TypeError('a condition value is a string, number or boolean');
  },
});

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

@InputType({ description: 'A condition on one property (a name, or a dot path into nested objects).' })
export class PropertyConditionInput {
  @Field() property: string;
  @Field(() => ConditionOp) op: string;
  @Field(() => ConditionValueType, { nullable: true }) type?: string;
  @Field(() => ConditionValueScalar, { nullable: true }) value?: string | number | boolean;
  @Field(() => [ConditionValueScalar], { nullable: true }) values?: (string | number | boolean)[];
}

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
