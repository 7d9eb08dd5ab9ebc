import type { ApolloServerPlugin } from '@apollo/server';
import { getVariableValues, GraphQLError, Kind } from 'graphql';

function badUserInput(message: string, field: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } } });
}

/**
 * Refuses, before planning, a request whose operationName selects no operation or whose variables
 * do not fit the operation's declared types, as 400 BAD_USER_INPUT naming `operationName` or
 * `variables.<name>` (the gateway's executor would otherwise fail on them with a 500).
 */
export function operationInputPlugin(): ApolloServerPlugin {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ request, operation, schema }) => {
        if (!operation) {
          throw request.operationName
            ? badUserInput(`Invalid value for operationName: the document has no operation named "${request.operationName}"`, 'operationName')
            : badUserInput('Invalid value for operationName: the document holds several operations, so operationName must name one', 'operationName');
        }
        const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 1 });
        const [first] = errors ?? [];
        if (first) {
          const definition = first.nodes?.[0];
          const name = definition?.kind === Kind.VARIABLE_DEFINITION ? definition.variable.name.value : undefined;
          throw badUserInput(first.message, name ? `variables.${name}` : 'variables');
        }
      },
    }),
  };
}
