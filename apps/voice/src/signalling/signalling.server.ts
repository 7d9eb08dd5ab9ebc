import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, formatSubgraphError, LOGGER } from '@boomerang/platform/subgraph';
import { ConnectedClients } from '../presence/connected-clients.js';
import { CallTokens } from '../tokens/call-tokens.js';
import { CallSignalling } from './call-signalling.service.js';
import { SignallingUpdates } from './signalling-updates.js';
import type { SignallingContext, SignallingSession } from './signalling-session.js';
import { CLOSE_UNAUTHORIZED, SIGNALLING_PATH } from '../../client/protocol.js';
import { signallingResolvers } from './signalling.resolvers.js';
import { buildSignallingSchema } from './signalling.schema.js';
import { VanishedClients } from './vanished-clients.js';

/** What a socket carries once admitted. */
type SocketState = { session?: SignallingSession; expiry?: NodeJS.Timeout };
type SignallingSocketContext = Context<Record<string, unknown> | undefined, Extra & Partial<SocketState>>;

/**
 * The graphql-ws endpoint at `/calls/signal` on voice's public listener (`VoicePublicServer`). A
 * socket is admitted by its call token (connection param `token`) and is closed with 4401 when
 * the token is bad or expires while it is open; while open, its profile counts as connected
 * (presence).
 */
@Injectable()
export class SignallingServer {
  private sockets?: WebSocketServer;
  private dispose?: () => Promise<void>;
  readonly schema: GraphQLSchema;

  constructor(
    private readonly tokens: CallTokens,
    private readonly clients: ConnectedClients,
    private readonly vanished: VanishedClients,
    private readonly clock: Clock,
    signalling: CallSignalling,
    updates: SignallingUpdates,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.schema = buildSignallingSchema(signallingResolvers(signalling, updates));
  }

  /** Takes WebSocket upgrades at SIGNALLING_PATH on `server`. */
  attach(server: Server): void {
    this.sockets = new WebSocketServer({ server, path: SIGNALLING_PATH, maxPayload: 256 * 1024 });
    const handle = useServer<Record<string, unknown> | undefined, SocketState>(
      {
        schema: this.schema,
        context: (ctx): SignallingContext => ({ session: ctx.extra.session! }),
        onConnect: (ctx) => this.admit(ctx),
        onClose: (ctx) => this.release(ctx),
        onOperation: (_ctx, _id, _payload, _args, result) =>
          isExecutionResult(result) && result.errors ? this.formatResult(result) : undefined,
        onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? this.formatResult(result) : undefined),
      },
      this.sockets,
    );
    this.dispose = async () => handle.dispose();
  }

  /** Closes every socket (1001, going away); the HTTP server's close would otherwise wait for them. */
  async close(): Promise<void> {
    await this.dispose?.();
    this.dispose = undefined;
  }

  private async admit(ctx: SignallingSocketContext): Promise<boolean> {
    const token = ctx.connectionParams?.token;
    const refuse = (why: string) => {
      ctx.extra.socket.close(CLOSE_UNAUTHORIZED, why);
      return false;
    };
    if (typeof token !== 'string' || token.length === 0) return refuse('Unauthorized: connectionParams.token is required');
    let verified: Awaited<ReturnType<CallTokens['verify']>>;
    try {
      verified = await this.tokens.verify(token);
    } catch {
      return refuse('Unauthorized: invalid or expired call token');
    }
    const remainingMs = verified.expiresAt.getTime() - this.clock.now().getTime();
    if (remainingMs <= 0) return refuse('Unauthorized: call token expired');
    const session: SignallingSession = { ...verified, connectionId: randomUUID() };
    ctx.extra.session = session;
    // The token's lifetime bounds the socket's, not just its admission.
    ctx.extra.expiry = setTimeout(() => ctx.extra.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: call token expired'), remainingMs);
    ctx.extra.expiry.unref();
    this.clients.connect(session.projectId, session.profileId, session.connectionId, session.identity);
    this.vanished.reconnected(session.projectId, session.profileId);
    this.logger.debug({ connectionId: session.connectionId }, 'signalling socket admitted');
    return true;
  }

  private release(ctx: SignallingSocketContext): void {
    if (ctx.extra.expiry) clearTimeout(ctx.extra.expiry);
    const session = ctx.extra.session;
    if (!session) return;
    ctx.extra.session = undefined;
    this.clients.disconnect(session.projectId, session.profileId, session.connectionId);
    this.logger.debug({ connectionId: session.connectionId }, 'signalling socket closed');
    if (!this.clients.isConnected(session.projectId, session.profileId)) this.vanished.disconnected(session.projectId, session.profileId);
  }

  /** Domain errors keep their code and field; anything else is logged and reported without internals. */
  private formatResult(result: ExecutionResult): ExecutionResult {
    const errors = result.errors!.map((error) => {
      const formatted = formatSubgraphError(error.toJSON() as GraphQLFormattedError, error);
      if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') this.logger.error({ err: error.originalError ?? error, path: error.path }, 'signalling operation failed');
      return new GraphQLError(formatted.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions: formatted.extensions });
    });
    return { ...result, errors };
  }
}

function isExecutionResult(value: unknown): value is ExecutionResult {
  return typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);
}
