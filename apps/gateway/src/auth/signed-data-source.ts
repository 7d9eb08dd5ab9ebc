import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { signCallerContext, type CallerContext } from '@boomerang/platform/auth';

export interface GatewayContext {
  caller?: CallerContext;
}

const SYSTEM: CallerContext = { projectId: null, keyId: null, scope: 'system' };

/** Sends each subgraph request with the caller's context, HMAC-signed; nothing else the client sent. */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly signingSecret: string,
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Health checks and introspection have no client context; they go out as the system caller.
    const caller = (context as GatewayContext | undefined)?.caller ?? SYSTEM;
    for (const [name, value] of Object.entries(signCallerContext(caller, this.signingSecret))) {
      request.http?.headers.set(name, value);
    }
  }
}
