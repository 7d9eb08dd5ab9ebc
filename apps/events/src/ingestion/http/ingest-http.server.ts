import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@boomerang/platform/observability';
import { closeHttpServer, LOGGER, SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { AnalyticsJsAdapter } from '../analytics-js/analytics-js.adapter.js';
import { CleverTapAdapter } from '../clevertap/clevertap.adapter.js';
import { INGEST_CONFIG, type IngestConfig } from '../ingest-config.js';
import { IngestionError, IngestionErrorCode } from '../ingestion.errors.js';
import { SegmentAdapter } from '../segment/segment.adapter.js';
import { refuse } from './ingest-http.js';

/**
 * The ingestion API's HTTP server on `INGEST_PORT`, served by the events process: it listens,
 * answers CORS preflights and hands each request to its wire format's adapter (CleverTap uploads,
 * Segment calls, analytics.js assets), which reads, authenticates and answers it.
 */
@Injectable()
export class IngestHttpServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server?: Server;

  constructor(
    private readonly segment: SegmentAdapter,
    private readonly clevertap: CleverTapAdapter,
    private readonly analyticsJs: AnalyticsJsAdapter,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    @Inject(SUBGRAPH_CONFIG) private readonly platform: SubgraphConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The bound port (useful when INGEST_PORT=0). */
  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (process.argv.includes('--print-schema')) return;
    const server = createServer((request, response) => this.handle(request, response));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.INGEST_PORT, this.platform.HOST, () => resolve());
    });
    this.server = server;
    this.logger.info({ port: this.port }, `events ingestion API at http://${this.platform.HOST}:${this.port}/v1/batch`);
  }

  /** Stops accepting, lets in-flight batches commit, then lets the pool close. */
  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeHttpServer(server, 5_000);
  }

  /** Routes the request to the adapter that answers it; the adapters' promises never reject. */
  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = pathOf(request.url);
    // Server-to-server: no browser calls the upload API, so it answers without CORS.
    if (this.clevertap.route(request.method, path) !== undefined) return void this.clevertap.serve(request, response);
    // Websites call from their own origin (analytics.js); see answerPreflight for why any may.
    response.setHeader('access-control-allow-origin', '*');
    if (request.method === 'OPTIONS') return answerPreflight(request, response);
    const call = this.segment.route(request.method, path);
    if (call !== undefined) return void this.segment.serve(request, response, call);
    const asset = this.analyticsJs.route(request.method, path);
    if (asset !== undefined) return void this.analyticsJs.serve(request, response, asset);
    refuse(response, new IngestionError(IngestionErrorCode.NotFound, `No route ${request.method} ${request.url}`), this.logger);
  }
}

/** The request path, or '' when the URL does not parse (answered 404). */
function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://x').pathname;
  } catch {
    return '';
  }
}

/** Headers a browser may send with a tracking call: analytics.js sends the write key as Basic auth, so every call is preflighted. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, Content-Encoding, X-Retry-Count';

/**
 * Answers a CORS preflight. Any origin may call: the write key, never a cookie, authenticates,
 * and the answers carry nothing but acknowledgements. Headers a site's SDK config adds are allowed too.
 */
function answerPreflight(request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(204, {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'POST, GET, OPTIONS',
    'access-control-allow-headers': request.headers['access-control-request-headers'] ?? ALLOWED_HEADERS,
    'access-control-max-age': '86400',
  });
  response.end();
}
