import { GraphQLISODateTime } from '@nestjs/graphql';
import { buildSchema, graphql, type GraphQLScalarType } from 'graphql';
import { formatSubgraphError } from '../domain-error.js';
import { enforceArgumentRules, MAX_JSON_DEPTH } from './argument-rules.js';
import { JSONScalar } from './json.scalar.js';

const id = '0e9f1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

function probeSchema() {
  const schema = buildSchema(`
    scalar DateTime
    scalar JSON
    input Address { street: String! tags: [String!] }
    input ProbeInput { name: String properties: JSON at: DateTime address: Address list: [Address!] ids: [ID!] next: ProbeInput }
    type Probe { echo(note: String): String }
    type Query {
      probe(id: ID, input: ProbeInput, since: DateTime, data: JSON, note: String, count: Int): Probe
    }
  `);
  // The scalars subgraphs use, so values reach the rules as the real resolvers see them.
  Object.assign(schema.getType('DateTime') as GraphQLScalarType, {
    parseValue: GraphQLISODateTime.parseValue,
    parseLiteral: GraphQLISODateTime.parseLiteral,
  });
  Object.assign(schema.getType('JSON') as GraphQLScalarType, { parseValue: JSONScalar.parseValue, parseLiteral: JSONScalar.parseLiteral });
  const calls: unknown[] = [];
  const root = { probe: (args: unknown) => (calls.push(args), { echo: ({ note }: { note?: string }) => note ?? 'ok' }) };
  return { sut: enforceArgumentRules(schema), root, calls };
}

async function run(source: string, variableValues: Record<string, unknown> = {}) {
  const { sut, root, calls } = probeSchema();
  const result = await graphql({ schema: sut, source, rootValue: root, variableValues });
  const errors = (result.errors ?? []).map((error) => formatSubgraphError(error.toJSON(), error));
  return { errors, extensions: errors.map((error) => error.extensions), calls };
}

const PROBE = `query($id: ID, $input: ProbeInput, $since: DateTime, $data: JSON, $note: String) {
  probe(id: $id, input: $input, since: $since, data: $data, note: $note) { echo } }`;

const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

describe('enforceArgumentRules', () => {
  it('passes well-formed values to the resolver untouched', async () => {
    const input = { name: 'Ada 👩‍💻', properties: { a: [{ b: 'é' }] }, at: '2026-01-31T09:30:00Z', ids: [id], address: { street: 'x', tags: ['y'] } };
    const { errors, calls } = await run(PROBE, { id, input, since: '0001-01-01T00:00:00Z', data: nested(MAX_JSON_DEPTH - 1), note: 'fine' });
    expect(errors).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['a NUL in a string argument', { note: 'a\u0000b' }, 'note', 'NUL_CHARACTER', /NUL character/],
    ['a NUL in an input field', { input: { name: 'a\u0000' } }, 'input.name', 'NUL_CHARACTER', /NUL character/],
    ['a NUL in a list item of a nested input', { input: { address: { street: 'x', tags: ['ok', '\u0000'] } } }, 'input.address.tags', 'NUL_CHARACTER', /item 1 must not contain the NUL/],
    ['a lone high surrogate', { input: { name: 'a\ud800' } }, 'input.name', 'UNPAIRED_SURROGATE', /unpaired UTF-16 surrogate/],
    ['a lone low surrogate', { note: '\udc00x' }, 'note', 'UNPAIRED_SURROGATE', /surrogate/],
    ['a recursive input', { input: { next: { next: { name: '\u0000' } } } }, 'input.next.next.name', 'NUL_CHARACTER', /NUL/],
    ['a JSON key with a lone surrogate', { input: { properties: { ['k\ud800']: 1 } } }, 'input.properties', 'UNPAIRED_SURROGATE', /a key must be well-formed/],
    ['a JSON value with a NUL', { data: { list: [{ text: 'x\u0000' }] } }, 'data.list.0.text', 'NUL_CHARACTER', /NUL/],
    ['JSON nested too deep', { data: nested(2000) }, `data${'.0'.repeat(MAX_JSON_DEPTH)}`, 'JSON_TOO_DEEP', /may nest objects and arrays at most 64 levels/],
    ['year 0000', { since: '0000-12-31T00:00:00Z' }, 'since', 'DATE_TIME_OUT_OF_RANGE', /between the years 0001 and 9999/],
    ['year 10000', { input: { at: '+010000-01-01T00:00:00Z' } }, 'input.at', 'DATE_TIME_OUT_OF_RANGE', /ISO 8601/],
    ['the last instant JavaScript can hold, plus one', { since: '+275760-09-13T00:00:00.001Z' }, 'since', 'DATE_TIME_OUT_OF_RANGE', /ISO 8601/],
    ['a date that is no date', { since: 'yesterday' }, 'since', 'DATE_TIME_OUT_OF_RANGE', /ISO 8601/],
    ['a malformed id', { id: 'nope' }, 'id', 'MALFORMED_ID', /must be a UUID/],
    ['a malformed id in a list', { input: { ids: [id, 'x'] } }, 'input.ids', 'MALFORMED_ID', /item 1 must be a UUID/],
    ['an input object in a list, by its index', { input: { list: [{ street: 'x' }, { street: '\ud800' }] } }, 'input.list.1.street', 'UNPAIRED_SURROGATE', /surrogate/],
  ])('refuses %s as BAD_USER_INPUT naming the path and the rule', async (_case, variables, field, reason, rule) => {
    const { errors, extensions, calls } = await run(PROBE, variables);
    expect(extensions).toEqual([{ code: 'BAD_USER_INPUT', reason, field, http: undefined }]);
    expect(errors[0]!.message).toMatch(new RegExp(`^Invalid value for ${field.replace(/\./g, '\\.')}: `));
    expect(errors[0]!.message).toMatch(rule);
    expect(calls).toEqual([]);
  });

  it('checks literals in the document as it checks variables', async () => {
    const { extensions } = await run(`{ probe(input: { name: "a\\u0000" }) { echo } }`);
    expect(extensions).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.name' })]);
  });

  it('checks the arguments of nested fields too', async () => {
    const { extensions, calls } = await run(`{ probe { echo(note: "\\u0000") } }`);
    expect(calls).toHaveLength(1);
    expect(extensions).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'note' })]);
  });

  it('leaves fields whose arguments hold no ruled scalar as they were', () => {
    const schema = buildSchema(`enum Kind { A } type Query { count(n: Int, kind: Kind): Int }`);
    const resolve = () => 1;
    schema.getQueryType()!.getFields().count!.resolve = resolve;
    expect(enforceArgumentRules(schema).getQueryType()!.getFields().count!.resolve).toBe(resolve);
  });
});
