import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WebSocket, WebSocketServer } from 'ws';
import { listenForNotifications, type NotificationListener } from '@boomerang/platform/persistence';
import { Clock, LOGGER, SUBGRAPH_CONFIG, type Logger, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { IN_APP_NOTIFY_CHANNEL } from './in-app-channel.js';
import { CAMPAIGN_IN_APP_CONFIG, type CampaignInAppConfig } from './in-app-config.js';
import { InAppLiveTokens } from './in-app-live-tokens.js';
import type { InAppMessage } from './in-app-message.model.js';
import { InAppMessages } from './in-app-messages.service.js';

export const IN_APP_LIVE_PATH = '/in-app/live';
/** Close code of a socket whose token does not verify, or has expired while it was open (as voice's signalling uses). */
export const CLOSE_UNAUTHORIZED = 4401;
/** Close reason of a socket whose token expired while it was open: the client mints a new token and reconnects. */
export const CLOSE_REASON_EXPIRED = 'token: expired; mint a new one with createInAppLiveToken';
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The live in-app socket at IN_APP_LIVE_PATH on campaigns' listener: a client connects with a
 * live token (`?token=`, from `createInAppLiveToken`), gets `{ type: 'messages', messages }` (its
 * current ones), then `{ type: 'message', message }` for each new one. New messages are learnt
 * from PostgreSQL NOTIFY, which is sent only when the fan-out's transaction commits and reaches
 * every campaigns instance, so a socket on any instance hears of every message. The token is
 * checked at connect and again when it expires (by the injected Clock): an open socket is closed
 * then with CLOSE_UNAUTHORIZED and CLOSE_REASON_EXPIRED, so a socket lives no longer than its token.
 */
@Injectable()
export class InAppLiveServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sockets?: WebSocketServer;
  private listener?: NotificationListener;
  /** Open sockets per `project:profile`. */
  private readonly open = new Map<string, Set<WebSocket>>();
  /** Each open socket's expiry timer. */
  private readonly expiries = new Map<WebSocket, NodeJS.Timeout>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: InAppLiveTokens,
    private readonly messages: InAppMessages,
    private readonly clock: Clock,
    @Inject(SUBGRAPH_CONFIG) private readonly config: SubgraphConfig,
    @Inject(CAMPAIGN_IN_APP_CONFIG) private readonly inAppConfig: CampaignInAppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The socket's URL for a live token: CAMPAIGNS_PUBLIC_URL, else the listener's own address. */
  urlFor(token: string): string {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const base = this.inAppConfig.CAMPAIGNS_PUBLIC_URL ?? `http://127.0.0.1:${(server.address() as AddressInfo | null)?.port ?? this.config.port}`;
    const url = new URL(IN_APP_LIVE_PATH, base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', token);
    return url.toString();
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.sockets = new WebSocketServer({ server, path: IN_APP_LIVE_PATH, maxPayload: 16 * 1024 });
    this.sockets.on('connection', (socket, request) => void this.admit(socket, new URL(request.url ?? '', 'http://local').searchParams.get('token') ?? ''));
    this.listener = await listenForNotifications({
      connectionString: this.config.DATABASE_URL,
      channel: IN_APP_NOTIFY_CHANNEL,
      applicationName: 'campaigns-in-app-live',
      onNotify: (payload) => void this.deliver(payload).catch((error: Error) => this.logger.warn({ err: error }, 'in-app live push failed')),
      onError: (error) => this.logger.error({ err: error }, 'in-app live listener failed'),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const sockets of this.open.values()) for (const socket of sockets) socket.terminate();
    this.open.clear();
    for (const timer of this.expiries.values()) clearTimeout(timer);
    this.expiries.clear();
    await new Promise<void>((resolve) => (this.sockets ? this.sockets.close(() => resolve()) : resolve()));
    await this.listener?.close();
  }

  private async admit(socket: WebSocket, token: string): Promise<void> {
    const grant = await this.tokens.verify(token, this.clock.now());
    if (!grant) return socket.close(CLOSE_UNAUTHORIZED, 'token: not a valid in-app live token');
    const key = `${grant.projectId}:${grant.profileId}`;
    const sockets = this.open.get(key) ?? new Set<WebSocket>();
    sockets.add(socket);
    this.open.set(key, sockets);
    this.closeAtExpiry(socket, grant.expiresAt);
    socket.on('close', () => {
      clearTimeout(this.expiries.get(socket));
      this.expiries.delete(socket);
      sockets.delete(socket);
      if (sockets.size === 0 && this.open.get(key) === sockets) this.open.delete(key);
    });
    socket.send(JSON.stringify({ type: 'messages', messages: (await this.messages.forProfile(grant.projectId, grant.profileId, 20)).map(onTheWire) }));
  }

  /** Closes the socket once the clock reaches its token's expiry (looked at again when the timer fires, so a clock moved back waits longer). */
  private closeAtExpiry(socket: WebSocket, expiresAt: Date): void {
    const remaining = expiresAt.getTime() - this.clock.now().getTime();
    if (remaining <= 0) {
      this.expiries.delete(socket);
      return socket.close(CLOSE_UNAUTHORIZED, CLOSE_REASON_EXPIRED);
    }
    this.expiries.set(socket, setTimeout(() => this.closeAtExpiry(socket, expiresAt), Math.min(remaining, MAX_TIMER_MS)));
  }

  private async deliver(payload: string): Promise<void> {
    const { projectId, ids } = JSON.parse(payload) as { projectId: string; ids: string[] };
    if (![...this.open.keys()].some((key) => key.startsWith(`${projectId}:`))) return;
    for (const message of await this.messages.byIds(projectId, ids)) {
      for (const socket of this.open.get(`${projectId}:${message.profileId}`) ?? []) {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'message', message: onTheWire(message.view) }));
      }
    }
  }
}

/** A message as the socket sends it: the GraphQL shape, enum values by their GraphQL names. */
const onTheWire = (message: InAppMessage) => ({ ...message, layout: message.layout.toUpperCase() });
