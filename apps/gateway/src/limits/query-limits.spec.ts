import { buildSchema, parse, validate } from 'graphql';
import { complexityLimitPlugin, depthLimitRule, ROOT_FIELD_COST } from './query-limits.js';

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
      operation: parse(query).definitions[0],
      document: parse(query),
      schema: pagedSchema,
    });
  };

  it('multiplies nested cost by the page sizes asked for, and adds the cost of a root field', async () => {
    // 10 items × (the item + its id) + the root field
    await expect(check(`{ items(first: 10) { id } }`, 20 + ROOT_FIELD_COST)).resolves.toBeUndefined();
    await expect(check(`{ items(first: 10) { id } }`, 19 + ROOT_FIELD_COST)).rejects.toThrow(/complexity 45 exceeds the limit of 44/);
    await expect(check(`{ items(first: 100) { tags(first: 100) } }`, 5000)).rejects.toThrow(/complexity 10125 exceeds the limit of 5000/);
  });

  it('prices every alias of a field, so aliasing a field N times costs N times', async () => {
    const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, index) => `a${index}: items { id }`).join(' ')} }`;
    const one = 2 + ROOT_FIELD_COST;
    await expect(check(aliased(3), 3 * one)).resolves.toBeUndefined();
    await expect(check(aliased(3), 3 * one - 1)).rejects.toThrow(`complexity ${3 * one} exceeds`);
    await expect(check(aliased(1000), 5000)).rejects.toMatchObject({ extensions: { code: 'QUERY_TOO_COMPLEX', complexity: 1000 * one } });
  });

  it('leaves a missing operation and variables that do not fit to operationInputPlugin', async () => {
    const hooks = (await complexityLimitPlugin(1).requestDidStart!({} as never)) as { didResolveOperation(context: unknown): Promise<void> };
    const document = parse(`query Q($n: Int!) { items(first: $n) { id } }`);
    await expect(hooks.didResolveOperation({ request: { variables: {} }, operation: undefined, document, schema: pagedSchema })).resolves.toBeUndefined();
    const operation = document.definitions[0];
    await expect(hooks.didResolveOperation({ request: { variables: { n: 'x' } }, operation, document, schema: pagedSchema })).resolves.toBeUndefined();
  });
});
