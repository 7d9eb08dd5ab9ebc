import { buildSchema, parse, validate } from 'graphql';
import { depthLimitRule } from './query-limits.js';

const schema = buildSchema(`
  type Node { id: ID! child: Node }
  type Query { node: Node }
`);

const depthErrors = (query: string, limit: number) =>
  validate(schema, parse(query), [depthLimitRule(limit)]).map((error) => error.extensions?.code);

describe('depthLimitRule', () => {
  it('accepts a query at the limit and refuses one past it', () => {
    expect(depthErrors(`{ node { child { id } } }`, 3)).toEqual([]);
    expect(depthErrors(`{ node { child { child { id } } } }`, 3)).toEqual(['QUERY_TOO_DEEP']);
  });

  it('follows fragments and ignores introspection', () => {
    expect(depthErrors(`{ node { ...deep } } fragment deep on Node { child { child { id } } }`, 3)).toEqual(['QUERY_TOO_DEEP']);
    expect(depthErrors(`{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`, 2)).toEqual([]);
  });
});
