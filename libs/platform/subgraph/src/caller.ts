import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { CallerContext } from '@boomerang/platform/auth';
import { DomainError } from './domain-error.js';
import type { RequestLoaders } from './request-loaders.js';

/** What every subgraph resolver receives as GraphQL context. */
export interface SubgraphContext {
  readonly caller: CallerContext;
  readonly loaders: RequestLoaders;
}

/**
 * A GraphQL request as the subgraph verifies its caller: the signed headers and the raw bytes of
 * its body (`rawBody`, kept by the JSON parser because the app is created with `rawBody: true`).
 */
export interface SignedRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly rawBody?: Buffer;
}

export const ACCESS_METADATA = 'boomerang:access';
export type Access = 'publishable' | 'admin';

/** Root fields a publishable key may call (ingest, in-app reads). Everything else needs `sk_`. */
export const PublishableKeyAllowed = () => SetMetadata(ACCESS_METADATA, 'publishable' satisfies Access);
/** Root fields only the platform admin token may call (creating projects). */
export const AdminOnly = () => SetMetadata(ACCESS_METADATA, 'admin' satisfies Access);

export function subgraphContextOf(context: ExecutionContext): SubgraphContext {
  return GqlExecutionContext.create(context).getContext<SubgraphContext>();
}

export const Caller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): CallerContext => subgraphContextOf(context).caller,
);

/** The project every query is scoped by; refuses callers without one. */
export const ProjectId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const { caller } = subgraphContextOf(context);
  if (!caller.projectId) {
    throw new DomainError('PROJECT_REQUIRED', 'forbidden', 'This operation needs a project API key (pk_… or sk_…)');
  }
  return caller.projectId;
});

export const Loaders = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestLoaders => subgraphContextOf(context).loaders,
);
