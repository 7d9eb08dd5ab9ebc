import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { findBreakingChanges, findDangerousChanges, parse, type GraphQLError, type GraphQLSchema } from 'graphql';

export interface SubgraphSdl {
  readonly name: string;
  readonly url: string;
  readonly sdl: string;
}

export interface CompositionProblem {
  /** Apollo's error code, e.g. `INVALID_FIELD_SHARING`, or `INVALID_GRAPHQL` for SDL that does not parse. */
  readonly code: string;
  readonly message: string;
}

export type CompositionOutcome =
  | { readonly ok: true; readonly supergraphSdl: string; readonly hints: readonly CompositionProblem[] }
  | { readonly ok: false; readonly errors: readonly CompositionProblem[] };

const codeOf = (error: GraphQLError) => String(error.extensions?.code ?? 'COMPOSITION_ERROR');

/** Composes Federation 2 subgraph SDLs into a supergraph SDL; the routing URL of each is recorded in it. */
export function composeSupergraph(subgraphs: readonly SubgraphSdl[]): CompositionOutcome {
  const parseErrors: CompositionProblem[] = [];
  const services = subgraphs.flatMap((subgraph) => {
    try {
      return [{ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) }];
    } catch (error) {
      parseErrors.push({ code: 'INVALID_GRAPHQL', message: `[${subgraph.name}] ${(error as Error).message}` });
      return [];
    }
  });
  if (parseErrors.length) return { ok: false, errors: parseErrors };
  if (!services.length) return { ok: false, errors: [{ code: 'NO_SUBGRAPHS', message: 'No subgraph SDL to compose' }] };
  const result = composeServices(services);
  if (result.errors) return { ok: false, errors: result.errors.map((error) => ({ code: codeOf(error), message: error.message })) };
  return {
    ok: true,
    supergraphSdl: `${result.supergraphSdl.replace(/\s+$/, '')}\n`,
    hints: result.hints.map((hint) => ({ code: hint.definition.code, message: hint.message })),
  };
}

/** The schema clients see: the supergraph without join/link machinery and `@inaccessible` elements. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

export interface SchemaChange {
  readonly type: string;
  readonly description: string;
}

export interface ApiSchemaDiff {
  /** Changes that can break an existing client (removed fields, changed types, new required arguments…). */
  readonly breaking: readonly SchemaChange[];
  /** Changes that may change behaviour for existing clients (new enum values, changed defaults…). */
  readonly dangerous: readonly SchemaChange[];
}

/** Compares the client-facing API schemas of two supergraphs. */
export function diffApiSchemas(previousSupergraphSdl: string, nextSupergraphSdl: string): ApiSchemaDiff {
  const previous = apiSchemaOf(previousSupergraphSdl);
  const next = apiSchemaOf(nextSupergraphSdl);
  return {
    breaking: findBreakingChanges(previous, next).map(({ type, description }) => ({ type, description })),
    dangerous: findDangerousChanges(previous, next).map(({ type, description }) => ({ type, description })),
  };
}
