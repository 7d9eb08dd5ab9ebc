import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { signCallerContext, type CallerContext } from '@boomerang/platform/auth';

export interface GatewayContext {
  caller?: CallerContext;
}

const SYSTEM: CallerContext = { projectId: null, keyId: null, scope: 'system' };

/**
 * Sends each subgraph request with the caller's context, HMAC-signed over the request body;
 * nothing else the client sent. The signature is made by the fetcher, the one place that sees
 * the exact bytes going out (the data source serialises the body after `willSendRequest`, and
 * automatic persisted queries send two different bodies for one operation).
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly callers = new AsyncLocalStorage<CallerContext>();

  constructor(url: string, signingSecret: string) {
    // Node's fetch closes an idle connection before the subgraph's server does (it reads the
    // server's Keep-Alive timeout); the default fetcher keeps it and races the close ("socket hang up").
    super({ url, fetcher: fetch });
    const unsigned = this.fetcher;
    this.fetcher = (target, init = {}) => {
      // Health checks and introspection have no client context; they go out as the system caller.
      const signed = signCallerContext(this.callers.getStore() ?? SYSTEM, init.body ?? '', signingSecret);
      return unsigned(target, { ...init, headers: { ...init.headers, ...signed } });
    };
  }

  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const caller = (options.context as GatewayContext | undefined)?.caller ?? SYSTEM;
    return this.callers.run(caller, () => super.process(options));
  }

  /**
   * A subgraph's non-2xx answer as clients may see it: the subgraph's own first error when it
   * sent GraphQL errors (they are client-safe already), never its internal address or raw body.
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    const body = await this.parseBody(response).catch(() => undefined);
    const first = (body as { errors?: GraphQLFormattedError[] } | undefined)?.errors?.[0];
    if (typeof first?.message === 'string') return new GraphQLError(first.message, { extensions: { ...first.extensions, stacktrace: undefined } });
    const code = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN' }[response.status];
    return new GraphQLError(`${response.status}: ${response.statusText}`, { extensions: code ? { code } : {} });
  }
}
