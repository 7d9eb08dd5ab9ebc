import { GraphQLError, GraphQLScalarType, valueFromASTUntyped } from 'graphql';

/** Any JSON value; used where the shape is open (template data). */
export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => {
    try {
      return valueFromASTUntyped(ast, variables);
    } catch (error) {
      throw new GraphQLError(`JSON cannot represent this literal: ${(error as Error).message}`);
    }
  },
});
