import { Field, ID, InputType, registerEnumType } from '@nestjs/graphql';
import { GraphQLScalarType, Kind } from 'graphql';
import { CONDITION_OPS, VALUE_TYPES, type PropertyCondition } from '@boomerang/audience';
import type { AnalyticsBreakdown, AnalyticsFilter } from '../analytics-filter.js';

/**
 * Filters and breakdowns every analytics question takes. Conditions are the audience language's
 * (libs/audience), under the same GraphQL names and shapes as segments' rule input, so the
 * supergraph has one `PropertyConditionInput` and a console builds both with one component.
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

@InputType({ description: 'A condition on one property (a name, or a dot path into nested objects).' })
export class PropertyConditionInput {
  @Field() property: string;
  @Field(() => ConditionOp) op: PropertyCondition['op'];
  @Field(() => ConditionValueType, { nullable: true }) type?: PropertyCondition['type'];
  @Field(() => ConditionValueScalar, { nullable: true }) value?: string | number | boolean;
  @Field(() => [ConditionValueScalar], { nullable: true }) values?: (string | number | boolean)[];
}

@InputType({ description: 'Who and what an analytics question counts; every part given must hold.' })
export class AnalyticsFilterInput implements AnalyticsFilter {
  @Field(() => ID, { nullable: true, description: "Only the segment's current members." })
  segmentId?: string | null;

  @Field(() => [PropertyConditionInput], { nullable: true, description: "Only profiles whose custom properties meet every condition." })
  profile?: PropertyConditionInput[] | null;

  @Field(() => [PropertyConditionInput], { nullable: true, description: 'Only events whose properties meet every condition (answered from the raw events).' })
  event?: PropertyConditionInput[] | null;
}

@InputType({ description: 'Break the answer down by one property: give one.' })
export class AnalyticsBreakdownInput implements AnalyticsBreakdown {
  @Field(() => String, { nullable: true, description: "A custom profile property's value." })
  profileProperty?: string | null;

  @Field(() => String, { nullable: true, description: "A property's value on the event that put the profile in the question (e.g. the install's `utm_source`)." })
  eventProperty?: string | null;
}
