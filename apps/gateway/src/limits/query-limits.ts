import type { ApolloServerPlugin } from '@apollo/server';
import {
  getVariableValues,
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';

/**
 * Refuses operations nested deeper than `maxDepth` fields (fragments followed, introspection
 * excluded so tooling keeps working).
 */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (selectionSet: SelectionSetNode | undefined, visited: Set<string>): number => {
      if (!selectionSet) return 0;
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, visited));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, visited));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || visited.has(name)) continue;
          deepest = Math.max(deepest, depthOf(fragment.selectionSet, new Set([...visited, name])));
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query is nested ${depth} levels deep; the limit is ${maxDepth}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_DEEP', limit: maxDepth, depth },
            }),
          );
        }
      },
    };
  };
}

/** What a root field costs on top of what it selects: each one is a subgraph request and database work. */
export const ROOT_FIELD_COST = 25;

/**
 * One point per field and per item a list field asks for (`first`/`limit`), nested costs
 * multiplied; root fields add `ROOT_FIELD_COST`. Every selection is priced, so a field aliased N
 * times costs N times.
 */
export function fieldCostEstimator(schema: GraphQLSchema): ComplexityEstimator {
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter(Boolean));
  return ({ args, childComplexity, type }) => {
    const pageSize = Number(args.first ?? args.limit ?? 1);
    const items = Number.isFinite(pageSize) && pageSize > 0 ? pageSize : 1;
    return items * (1 + childComplexity) + (roots.has(type as GraphQLObjectType) ? ROOT_FIELD_COST : 0);
  };
}

function tooComplex(message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', ...extensions, http: { status: 400 } } });
}

export function complexityLimitPlugin(maxComplexity: number): ApolloServerPlugin {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ request, operation, document, schema }) => {
        // operationInputPlugin answers a missing operation and variables that do not fit.
        if (!operation) return;
        if (getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}).errors) return;
        let complexity: number;
        try {
          complexity = getComplexity({
            schema,
            query: document,
            operationName: operation.name?.value,
            variables: request.variables ?? {},
            estimators: [fieldCostEstimator(schema)],
          });
        } catch (error) {
          // The node count limit, the one way pricing itself refuses a document.
          throw tooComplex(`Query cannot be priced: ${(error as Error).message}`, { limit: maxComplexity });
        }
        if (complexity > maxComplexity) {
          throw tooComplex(`Query complexity ${complexity} exceeds the limit of ${maxComplexity}`, { limit: maxComplexity, complexity });
        }
      },
    }),
  };
}
