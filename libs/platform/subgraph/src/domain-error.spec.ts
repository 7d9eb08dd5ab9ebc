import { GraphQLError } from 'graphql';
import { DomainError, formatSubgraphError } from './domain-error.js';

describe('formatSubgraphError', () => {
  it('maps domain errors to their GraphQL code with the reason and field', () => {
    const error = new GraphQLError('ignored', { originalError: new DomainError('NAME_TAKEN', 'conflict', 'Name already used', 'input.name') });
    expect(formatSubgraphError({ message: 'ignored' }, error)).toEqual({
      message: 'Name already used',
      extensions: { code: 'CONFLICT', reason: 'NAME_TAKEN', field: 'input.name', http: undefined },
    });
  });

  it('keeps client errors and hides internals of unexpected ones', () => {
    const validation = { message: 'Cannot query field "x"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    expect(formatSubgraphError(validation, new GraphQLError(validation.message)).message).toBe(validation.message);
    const leaked = { message: 'relation "secret_table" does not exist', extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } };
    expect(formatSubgraphError(leaked, new Error(leaked.message))).toEqual({
      message: 'Internal server error',
      locations: undefined,
      path: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });
});
