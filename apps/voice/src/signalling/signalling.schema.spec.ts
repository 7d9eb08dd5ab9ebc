import { buildSchema, isInputObjectType, isObjectType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { buildSignallingSchema, SIGNALLING_SDL, type SignallingResolvers } from './signalling.schema.js';

const roots = buildSchema(SIGNALLING_SDL);
const fieldNames = (type: 'Query' | 'Mutation' | 'Subscription') => Object.keys((roots.getType(type) as GraphQLObjectType).getFields());

/** `Type.field` of every object (or input) type of the schema. */
const fieldPaths = (schema: GraphQLSchema, kind: (type: GraphQLNamedType) => boolean) =>
  Object.values(schema.getTypeMap())
    .filter((type) => !type.name.startsWith('__') && kind(type))
    .flatMap((type) => Object.keys((type as GraphQLObjectType).getFields()).map((field) => `${type.name}.${field}`));

function resolvers(): SignallingResolvers<unknown> {
  const of = (type: 'Query' | 'Mutation') => Object.fromEntries(fieldNames(type).map((name) => [name, () => name]));
  return {
    Query: of('Query'),
    Mutation: of('Mutation'),
    Subscription: Object.fromEntries(fieldNames('Subscription').map((name) => [name, async function* () {}])),
  };
}

describe('signalling schema', () => {
  it('has no output field that could carry a profile id, phone number or email', () => {
    const sut = buildSignallingSchema(resolvers());
    const suspicious = fieldPaths(sut, isObjectType).filter((path) => /profile|phone|email|mail/i.test(path));
    expect(suspicious).toEqual([]);
  });

  it('takes the callee as its only profile id input (the caller is the token)', () => {
    const sut = buildSignallingSchema(resolvers());
    const inputs = fieldPaths(sut, isInputObjectType).filter((path) => /profile/i.test(path));
    expect(inputs).toEqual(['PlaceCallInput.calleeProfileId']);
  });

  it('refuses to build with a root field left without a resolver', () => {
    const incomplete = resolvers();
    delete incomplete.Mutation.setMuted;
    expect(() => buildSignallingSchema(incomplete)).toThrow('signalling schema: no resolver for Mutation.setMuted');
  });

  it('resolves each call update kind to its GraphQL type', async () => {
    const sut = buildSignallingSchema(resolvers());
    const union = sut.getType('CallUpdate') as never as { resolveType(value: unknown): string };
    expect(union.resolveType({ kind: 'CALL_STATE' })).toBe('CallStateUpdate');
    expect(union.resolveType({ kind: 'REMOTE_MEDIA' })).toBe('RemoteMediaUpdate');
    expect(union.resolveType({ kind: 'REMOTE_MUTED' })).toBe('RemoteMutedUpdate');
  });
});
