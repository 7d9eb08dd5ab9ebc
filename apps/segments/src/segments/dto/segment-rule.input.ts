import { Field, InputType, Int, registerEnumType } from '@nestjs/graphql';
import { AGGREGATE_FUNCTIONS, PROFILE_ATTRIBUTES } from '@boomerang/audience';
import { ConditionOp, ConditionValueScalar, ConditionValueType, enumOf, PropertyConditionInput } from '@boomerang/audience/graphql';

/**
 * The rule tree as GraphQL input: the audience language's shape (libs/audience), field for
 * field, with its enums in GraphQL's upper case. `validateRule` checks the rest (one kind per
 * node, operands) and names the path of each issue.
 */

export { ConditionOp, ConditionValueScalar, PropertyConditionInput };
export const ValueType = ConditionValueType;
export const ProfileAttribute = enumOf(PROFILE_ATTRIBUTES);
export const AggregateFunction = enumOf(AGGREGATE_FUNCTIONS);
const NumberOp = enumOf(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between'] as const);
registerEnumType(ProfileAttribute, { name: 'ProfileAttribute', description: 'Built-in profile attributes; EMAIL and PHONE allow EXISTS / NOT_EXISTS only.' });
registerEnumType(AggregateFunction, { name: 'AggregateFunction' });
registerEnumType(NumberOp, { name: 'NumberOp' });

@InputType({ description: 'A span of time: exactly one unit.' })
export class DurationInput {
  @Field(() => Int, { nullable: true }) minutes?: number;
  @Field(() => Int, { nullable: true }) hours?: number;
  @Field(() => Int, { nullable: true }) days?: number;
}

@InputType()
export class DateRangeInput {
  @Field() from: string;
  @Field() to: string;
}

@InputType({ description: 'How many qualifying events: give atLeast and/or atMost, or exactly. Default: at least 1.' })
export class CountInput {
  @Field(() => Int, { nullable: true }) atLeast?: number;
  @Field(() => Int, { nullable: true }) atMost?: number;
  @Field(() => Int, { nullable: true }) exactly?: number;
}

@InputType({ description: 'An aggregate of a numeric event property over the window, compared with a number.' })
export class AggregateInput {
  @Field(() => AggregateFunction) fn: string;
  @Field() property: string;
  @Field(() => NumberOp) op: string;
  @Field(() => Number, { nullable: true }) value?: number;
  @Field(() => [Number], { nullable: true }) values?: number[];
}

@InputType({ description: 'When the first (or last) qualifying event happened; every given part must hold.' })
export class MomentInput {
  @Field({ nullable: true }) before?: string;
  @Field({ nullable: true }) after?: string;
  @Field(() => DurationInput, { nullable: true, description: 'No longer ago than this.' }) inLast?: DurationInput;
  @Field(() => DurationInput, { nullable: true, description: 'Longer ago than this.' }) notInLast?: DurationInput;
}

@InputType({ description: 'Did event `name` (where its properties meet every condition): how often, how much, when.' })
export class EventRuleInput {
  @Field() name: string;
  @Field(() => [PropertyConditionInput], { nullable: true }) where?: PropertyConditionInput[];
  @Field(() => DurationInput, { nullable: true, description: 'A sliding window ending now; leave out within and between for "ever".' })
  within?: DurationInput;
  @Field(() => DateRangeInput, { nullable: true, description: 'A fixed window [from, to).' }) between?: DateRangeInput;
  @Field(() => CountInput, { nullable: true }) count?: CountInput;
  @Field(() => AggregateInput, { nullable: true }) aggregate?: AggregateInput;
  @Field(() => MomentInput, { nullable: true }) first?: MomentInput;
  @Field(() => MomentInput, { nullable: true }) last?: MomentInput;
}

@InputType()
export class SequenceStepInput {
  @Field() name: string;
  @Field(() => [PropertyConditionInput], { nullable: true }) where?: PropertyConditionInput[];
}

@InputType({ description: 'Did step 1, then step 2 (…), each after the previous, all within `within` of the first.' })
export class SequenceRuleInput {
  @Field(() => [SequenceStepInput]) steps: SequenceStepInput[];
  @Field(() => DurationInput) within: DurationInput;
  @Field(() => DurationInput, { nullable: true, description: 'Only sequences that started in this sliding window.' }) inLast?: DurationInput;
}

@InputType({ description: 'A condition on a custom profile property or a built-in attribute (give one).' })
export class ProfileRuleInput {
  @Field({ nullable: true }) property?: string;
  @Field(() => ProfileAttribute, { nullable: true }) attribute?: string;
  @Field(() => ConditionOp) op: string;
  @Field(() => ValueType, { nullable: true }) type?: string;
  @Field(() => ConditionValueScalar, { nullable: true }) value?: string | number | boolean;
  @Field(() => [ConditionValueScalar], { nullable: true }) values?: (string | number | boolean)[];
}

@InputType({ description: 'In (member: true, the default) or not in another segment of the project.' })
export class MembershipRuleInput {
  @Field() segmentId: string;
  @Field({ nullable: true, defaultValue: true }) member?: boolean;
}

@InputType({ description: 'One node of a rule tree: give exactly one field.' })
export class SegmentRuleInput {
  @Field(() => [SegmentRuleInput], { nullable: true }) and?: SegmentRuleInput[];
  @Field(() => [SegmentRuleInput], { nullable: true }) or?: SegmentRuleInput[];
  @Field(() => SegmentRuleInput, { nullable: true }) not?: SegmentRuleInput;
  @Field(() => EventRuleInput, { nullable: true }) event?: EventRuleInput;
  @Field(() => SequenceRuleInput, { nullable: true }) sequence?: SequenceRuleInput;
  @Field(() => ProfileRuleInput, { nullable: true }) profile?: ProfileRuleInput;
  @Field(() => MembershipRuleInput, { nullable: true }) segment?: MembershipRuleInput;
}

/** Plain JSON of an input tree, without the nulls GraphQL gives for fields left out. */
export function plainRule(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(plainRule);
  if (input && typeof input === 'object')
    return Object.fromEntries(
      Object.entries(input)
        .filter(([, value]) => value !== null && value !== undefined)
        .map(([key, value]) => [key, plainRule(value)]),
    );
  return input;
}

const ENUM_FIELDS: Record<string, Record<string, string>> = { op: ConditionOp, type: ValueType, attribute: ProfileAttribute, fn: AggregateFunction };
const TO_GRAPHQL = Object.fromEntries(Object.entries(ENUM_FIELDS).map(([field, values]) => [field, Object.fromEntries(Object.entries(values).map(([name, value]) => [value, name]))]));

/** A stored tree as the API shows it: the input's shape, enums by their GraphQL names. */
export function ruleForApi(rule: unknown): unknown {
  if (Array.isArray(rule)) return rule.map(ruleForApi);
  if (rule && typeof rule === 'object')
    return Object.fromEntries(
      Object.entries(rule).map(([key, value]) => [key, typeof value === 'string' && TO_GRAPHQL[key]?.[value] ? TO_GRAPHQL[key][value] : ruleForApi(value)]),
    );
  return rule;
}
