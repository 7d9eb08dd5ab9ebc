import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The kinds of failure a client can act on. Each domain's `*.errors.ts` maps its own codes to
 * one of these with an exhaustive switch, and `toGraphQLError` maps kinds to GraphQL codes.
 */
export type ErrorKind = 'invalid-input' | 'not-found' | 'conflict' | 'forbidden' | 'unauthenticated';

export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    /** The input field the error is about, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function assertUnreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

function graphqlCode(kind: ErrorKind): { code: string; status: number } {
  switch (kind) {
    case 'invalid-input':
      return { code: 'BAD_USER_INPUT', status: 400 };
    case 'not-found':
      return { code: 'NOT_FOUND', status: 404 };
    case 'conflict':
      return { code: 'CONFLICT', status: 409 };
    case 'forbidden':
      return { code: 'FORBIDDEN', status: 403 };
    case 'unauthenticated':
      return { code: 'UNAUTHENTICATED', status: 401 };
    default:
      return assertUnreachable(kind);
  }
}

export function toGraphQLError(error: DomainError): GraphQLError {
  const { code, status } = graphqlCode(error.kind);
  return new GraphQLError(error.message, {
    extensions: { code, reason: error.code, ...(error.field ? { field: error.field } : {}), http: { status } },
  });
}

const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The one error mapping for subgraphs: domain errors keep their message and code; anything
 * unexpected is logged by the caller and reported without internals.
 */
export function formatSubgraphError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError ?? error;
  if (original instanceof DomainError) {
    const mapped = toGraphQLError(original);
    return { ...formatted, message: mapped.message, extensions: { ...mapped.extensions, http: undefined } };
  }
  const code = formatted.extensions?.code as string | undefined;
  if (code && PASS_THROUGH.has(code)) return { ...formatted, extensions: { ...formatted.extensions, stacktrace: undefined } };
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
