import { buildSchema, parse, validate } from 'graphql';
import { complexityLimitPlugin, depthLimitRule } from './query-limits.js';

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

describe('complexityLimitPlugin', () => {
  const pagedSchema = buildSchema(`
    type Item { id: ID! tags(first: Int): [String!]! }
    type Query { items(first: Int): [Item!]! }
  `);

  const check = async (query: string, limit: number) => {
    const hooks = await complexityLimitPlugin(limit).requestDidStart!({} as never);
    return (hooks as { didResolveOperation(context: unknown): Promise<void> }).didResolveOperation({
      request: { variables: {} },
      document: parse(query),
      schema: pagedSchema,
    });
  };

  it('multiplies nested cost by the page sizes asked for', async () => {
    await expect(check(`{ items(first: 10) { id } }`, 20)).resolves.toBeUndefined();
    await expect(check(`{ items(first: 100) { tags(first: 100) } }`, 5000)).rejects.toThrow(/complexity 10100 exceeds the limit of 5000/);
  });
});
