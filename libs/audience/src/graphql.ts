import { Field, InputType, registerEnumType } from '@nestjs/graphql';
import { GraphQLScalarType, Kind } from 'graphql';
import { CONDITION_OPS, VALUE_TYPES, type PropertyCondition } from './rules.js';

/**
 * The audience language's property conditions as GraphQL (`@boomerang/audience/graphql`): one
 * ConditionOp, ConditionValueType, ConditionValue and PropertyConditionInput for every subgraph
 * that takes conditions (segments' rules, campaigns' triggers, events' analytics filters), so the
 * supergraph merges identical definitions and a console builds them with one component.
 */

const upperSnake = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

/** The language's lower-case values as a GraphQL enum object (`atLeast` → AT_LEAST). */
export const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((value) => [upperSnake(value), value])) as Record<string, T>;

export const ConditionOp = enumOf(CONDITION_OPS);
export const ConditionValueType = enumOf(VALUE_TYPES);
registerEnumType(ConditionOp, { name: 'ConditionOp', description: 'How a property is compared. EXISTS / NOT_EXISTS take no value; BETWEEN, IN, NOT_IN take `values`.' });
registerEnumType(ConditionValueType, { name: 'ConditionValueType', description: 'What a condition compares as (default: the type of its value).' });

/** A string, number or boolean (dates are ISO 8601 strings). */
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
