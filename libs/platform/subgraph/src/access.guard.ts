import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { CallerContext } from '@boomerang/platform/auth';
import { ACCESS_METADATA, type Access, type SubgraphContext } from './caller.js';
import { DomainError } from './domain-error.js';

/**
 * Guards every root field: secret keys reach everything but admin fields, publishable keys only
 * fields marked `@PublishableKeyAllowed()`, the admin token only `@AdminOnly()` fields and
 * system calls only entity resolution. Nested fields inherit their root's decision.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType<string>() !== 'graphql') return true;
    const gql = GqlExecutionContext.create(context);
    const parent = gql.getInfo<{ parentType: { name: string } }>().parentType.name;
    if (parent !== 'Query' && parent !== 'Mutation') return true;
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    const { caller } = gql.getContext<SubgraphContext>();
    switch (caller.scope) {
      case 'secret':
        if (access === 'admin') break;
        return true;
      case 'publishable':
        if (access === 'publishable') return true;
        throw secretKeyRequired();
      case 'admin':
        if (access === 'admin') return true;
        break;
      case 'system':
        break;
    }
    throw new DomainError('NOT_ALLOWED', 'forbidden', `This operation is not available to a ${caller.scope} caller`);
  }
}

/**
 * For nested fields that read data a root field open to publishable keys could lead to (a
 * publishable key ships inside apps, so it must never read what it did not just write).
 */
export function assertSecretKey(caller: CallerContext): void {
  if (caller.scope !== 'secret') throw secretKeyRequired();
}

function secretKeyRequired(): DomainError {
  return new DomainError(
    'SECRET_KEY_REQUIRED',
    'forbidden',
    'This operation requires a secret key (sk_…); publishable keys (pk_…) may only ingest data and read in-app content',
  );
}
