import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { ConditionOp, ConditionValueScalar, ConditionValueType, ReEligibilityKind, SegmentTransition } from './dto/campaign-trigger.input.js';
import type { ReEligibility } from './campaign-trigger.js';

@ObjectType({ description: 'A condition on one property of the trigger event (the audience language, as segments state it).' })
export class TriggerCondition {
  @Field() property: string;
  @Field(() => ConditionOp) op: string;
  @Field(() => ConditionValueType, { nullable: true }) type?: string;
  @Field(() => ConditionValueScalar, { nullable: true }) value?: string | number | boolean;
  @Field(() => [ConditionValueScalar], { nullable: true }) values?: (string | number | boolean)[];
}

@ObjectType()
export class TriggerEvent {
  @Field() name: string;
  @Field(() => [TriggerCondition]) where: TriggerCondition[];
}

@ObjectType()
export class TriggerSegment {
  @Field(() => ID) segmentId: string;
  @Field(() => SegmentTransition) change: `${SegmentTransition}`;
}

@ObjectType()
export class TriggerSince {
  @Field() event: string;
  @Field(() => [TriggerCondition]) where: TriggerCondition[];
  @Field({ description: 'true: only if the profile did it since the trigger; false: only if it did not.' }) done: boolean;
}

@ObjectType({ description: 'When a triggered campaign sends to a profile.' })
export class CampaignTrigger {
  @Field(() => TriggerEvent, { nullable: true }) event: TriggerEvent | null;
  @Field(() => TriggerSegment, { nullable: true }) segment: TriggerSegment | null;
  @Field(() => Int) delayMinutes: number;
  @Field(() => TriggerSince, { nullable: true }) since: TriggerSince | null;
  @Field(() => ReEligibilityKind) reEligibility: ReEligibility;
  @Field(() => Int, { nullable: true }) reEligibleAfterDays: number | null;
}

@ObjectType({ description: 'Something about the definition worth a look that does not stop the campaign.' })
export class CampaignWarning {
  @Field({ description: 'The field it is about, e.g. trigger.event.name.' }) field: string;
  @Field() message: string;
}
