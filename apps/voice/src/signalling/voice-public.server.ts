import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@boomerang/platform/observability';
import { closeHttpServer, LOGGER, SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { SIGNALLING_PATH } from '../../client/protocol.js';
import { VOICE_CONFIG, type VoiceConfig } from '../voice-config.js';
import { CallWebClient, WEB_CLIENT_PATH } from './call-web-client.js';
import { SignallingServer } from './signalling.server.js';

/**
 * What browsers and apps reach directly, on VOICE_PUBLIC_PORT: the signalling WebSocket
 * (`/calls/signal`) and the reference web client (`/calls/client/`). The subgraph port keeps
 * `/graphql` (gateway-signed requests only) and health, and need not be exposed.
 */
@Injectable()
export class VoicePublicServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server?: Server;

  constructor(
    private readonly signalling: SignallingServer,
    private readonly webClient: CallWebClient,
    @Inject(VOICE_CONFIG) private readonly config: Pick<VoiceConfig, 'VOICE_PUBLIC_PORT'>,
    @Inject(SUBGRAPH_CONFIG) private readonly subgraphConfig: Pick<SubgraphConfig, 'HOST'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The bound port (useful when VOICE_PUBLIC_PORT=0). */
  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  /** Where the listener is reached from this host, e.g. `http://127.0.0.1:4118`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (process.argv.includes('--print-schema')) return;
    const server = createServer((request, response) => this.handle(request, response));
    this.signalling.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.VOICE_PUBLIC_PORT, this.subgraphConfig.HOST, () => resolve());
    });
    this.server = server;
    this.logger.info({ port: this.port }, `voice calls at http://${this.subgraphConfig.HOST}:${this.port}${WEB_CLIENT_PATH}/ (signalling ${SIGNALLING_PATH})`);
  }

  /** Sockets first (1001, going away), then the HTTP server. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.signalling.close();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeHttpServer(server, 5_000);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    // Not new URL(): a malformed absolute-form target would throw inside the request listener.
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    if (path === SIGNALLING_PATH) {
      response.writeHead(426, { upgrade: 'websocket', 'content-type': 'text/plain; charset=utf-8' }).end('The signalling endpoint takes WebSocket connections (graphql-transport-ws)\n');
      return;
    }
    const file = this.webClient.fileAt(path);
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`Not found: this port serves ${WEB_CLIENT_PATH}/ (the call web client; build it with node tools/build/build.mjs) and ${SIGNALLING_PATH}\n`);
      return;
    }
    response
      .writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' })
      .end(request.method === 'HEAD' ? undefined : file.body);
  }
}
