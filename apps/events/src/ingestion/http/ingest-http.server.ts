import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { v7 as timeOrderedUuid } from 'uuid';
import { EVENT_TYPES } from '@boomerang/contracts';
import { ApiKeyCache, type CallerScope } from '@boomerang/platform/auth';
import type { Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, DomainError, LOGGER, MESSAGING, SUBGRAPH_CONFIG, toGraphQLError, type SubgraphConfig } from '@boomerang/platform/subgraph';
import type { EventType } from '../events/event.entity.js';
import { takeContextUserToken, USER_TOKEN_HEADER, UserVerification, type ReceivedCommand } from '../verification/user-verification.js';
import { INGEST_CONFIG, type IngestConfig } from './ingest-config.js';
import { IngestEvents } from './ingest-events.use-case.js';
import { IngestionError, IngestionErrorCode } from './ingestion.errors.js';
import { mayHoldUnstorableText, unstorableText } from './json-limits.js';
import { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, segmentCommands } from './segment-message.js';
import { CLEVERTAP_MAX_BODY_BYTES, clevertapCommands } from './clevertap-upload.js';
import {
  AnalyticsJsBuild,
  analyticsJsAsset,
  analyticsJsSettings,
  answerPreflight,
  publicAddress,
  publicAddressOf,
  type AnalyticsJsAsset,
} from './analytics-js.js';

const ROUTES = new Map<string, EventType | 'batch'>([
  ['/v1/batch', 'batch'],
  ['/v1/import', 'batch'],
  ...EVENT_TYPES.map((type) => [`/v1/${type}`, type] as const),
  // analytics.js posts each call to its type's initial (/v1/t, /v1/i, …) and batches to /v1/b.
  ['/v1/b', 'batch'],
  ...EVENT_TYPES.map((type) => [`/v1/${type.charAt(0)}`, type] as const),
]);

/** CleverTap's server upload API (events and profile updates). */
const CLEVERTAP_UPLOAD = '/1/upload';

const gunzipAsync = promisify(gunzip);

/**
 * The Segment-compatible tracking API (`POST /v1/batch`, `/v1/track`, …) on its own port,
 * served by the events process. The write key (HTTP Basic username) is a project's publishable
 * or secret key. A 200 means the events are committed (with their announcement rows).
 * `POST /1/upload` takes CleverTap uploads (account id + passcode headers) on the same port.
 */
@Injectable()
export class IngestServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly keys: ApiKeyCache;
  private readonly analyticsJs = new AnalyticsJsBuild();
  private readonly configuredAddress: ReturnType<typeof publicAddress> | undefined;
  private server?: Server;

  constructor(
    private readonly ingestEvents: IngestEvents,
    private readonly verification: UserVerification,
    private readonly clock: Clock,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    @Inject(SUBGRAPH_CONFIG) private readonly platform: SubgraphConfig,
    @Inject(MESSAGING) messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.keys = new ApiKeyCache(messaging, config.INGEST_KEY_CACHE_TTL_MS);
    this.configuredAddress = config.INGEST_PUBLIC_URL === undefined ? undefined : publicAddress(config.INGEST_PUBLIC_URL);
  }

  /** The bound port (useful when INGEST_PORT=0). */
  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (process.argv.includes('--print-schema')) return;
    const server = createServer((request, response) => void this.handle(request, response));
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
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 5_000);
    await closed;
    clearTimeout(force);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = pathOf(request.url);
    if (request.method === 'POST' && path === CLEVERTAP_UPLOAD) return this.handleCleverTap(request, response);
    // Websites call from their own origin (analytics.js); see answerPreflight for why any may.
    response.setHeader('access-control-allow-origin', '*');
    if (request.method === 'OPTIONS') return answerPreflight(request, response);
    try {
      const asset = request.method === 'GET' ? analyticsJsAsset(path) : undefined;
      if (asset) return await this.serveAnalyticsJs(request, response, asset);
      const call = request.method === 'POST' ? ROUTES.get(path) : undefined;
      if (!call) throw new IngestionError(IngestionErrorCode.NotFound, `No route ${request.method} ${request.url}`);
      const receivedAt = this.clock.now();
      const { body, bytes } = await readBody(request, call === 'batch' ? MAX_BATCH_BYTES : MAX_MESSAGE_BYTES, call === 'batch' ? 'batch' : 'body');
      const { projectId, scope } = await this.authenticate(request, body);
      const commands = segmentCommands(call, body, receivedAt, timeOrderedUuid, bytes);
      const headerToken = tokenHeader(request);
      await this.verification.verify(
        projectId,
        scope,
        commands.map((command, i): ReceivedCommand => {
          const field = call === 'batch' ? `batch[${i}]` : '';
          const fromContext = takeContextUserToken(command);
          const token =
            fromContext !== undefined ? { value: fromContext, field: field ? `${field}.context.userToken` : 'context.userToken' } : headerToken;
          return { command, token, field };
        }),
      );
      await this.ingestEvents.execute(projectId, commands);
      send(response, 200, { success: true });
    } catch (error) {
      if (error instanceof IngestionError) return send(response, error.status, error);
      if (error instanceof DomainError) return sendDomainError(response, error);
      this.logger.error({ err: error }, 'ingestion request failed');
      send(response, 500, { success: false, error: { code: 'INTERNAL', message: 'Internal error; retry later' } });
    }
  }

  /** analytics.js' loader, chunks and settings; the loader and settings only for a valid write key. */
  private async serveAnalyticsJs(request: IncomingMessage, response: ServerResponse, asset: AnalyticsJsAsset): Promise<void> {
    switch (asset.kind) {
      case 'chunk': {
        const chunk = this.analyticsJs.chunk(asset.file);
        if (!chunk) throw new IngestionError(IngestionErrorCode.NotFound, `No analytics.js bundle ${asset.file}`);
        // Chunk names carry their content hash.
        return sendScript(response, chunk, 365 * 24 * 3600);
      }
      case 'loader':
        await this.resolvePublishableKey(asset.writeKey);
        return sendScript(response, this.analyticsJs.loaderFor(asset.writeKey), 300);
      case 'settings': {
        await this.resolvePublishableKey(asset.writeKey);
        const address = publicAddressOf(request, this.configuredAddress);
        if (!address) throw new IngestionError(IngestionErrorCode.InvalidRequest, 'Host: must name this API (or set INGEST_PUBLIC_URL)', 'Host');
        response.setHeader('cache-control', 'public, max-age=60');
        return send(response, 200, analyticsJsSettings(asset.writeKey, address));
      }
    }
  }

  /**
   * CleverTap upload: bad records are listed in the answer, the good ones commit in one
   * transaction. Account id = project id, passcode = one of its publishable or secret keys.
   */
  private async handleCleverTap(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const accountId = header(request, 'x-clevertap-account-id');
      const passcode = header(request, 'x-clevertap-passcode');
      if (!accountId || !passcode) {
        throw new IngestionError(IngestionErrorCode.Unauthenticated, 'Missing X-CleverTap-Account-Id or X-CleverTap-Passcode', 'X-CleverTap-Passcode');
      }
      const { projectId, scope } = await this.resolveKey(passcode, 'X-CleverTap-Passcode');
      if (projectId !== accountId) {
        throw new IngestionError(IngestionErrorCode.Unauthenticated, 'Passcode does not belong to this account', 'X-CleverTap-Account-Id');
      }
      const receivedAt = this.clock.now();
      const { body } = await readBody(request, CLEVERTAP_MAX_BODY_BYTES, 'body');
      const { commands, unprocessed } = clevertapCommands(projectId, body, receivedAt);
      const headerToken = tokenHeader(request);
      await this.verification.verify(projectId, scope, commands.map((command): ReceivedCommand => ({ command, token: headerToken, field: 'd' })));
      await this.ingestEvents.execute(projectId, commands);
      const status = unprocessed.length === 0 ? 'success' : commands.length === 0 ? 'fail' : 'partial';
      send(response, 200, { status, processed: commands.length, unprocessed });
    } catch (error) {
      if (error instanceof IngestionError) {
        return send(response, error.status, { status: 'fail', code: error.status, error: error.message, ...(error.field ? { field: error.field } : {}) });
      }
      if (error instanceof DomainError) {
        const status = httpStatusOf(error);
        return send(response, status, { status: 'fail', code: status, error: error.message, ...(error.field ? { field: error.field } : {}) });
      }
      this.logger.error({ err: error }, 'clevertap upload failed');
      send(response, 500, { status: 'fail', code: 500, error: 'Internal error; retry later' });
    }
  }

  private async authenticate(request: IncomingMessage, body: unknown): Promise<ResolvedKey> {
    const key = writeKeyOf(request.headers.authorization) ?? bodyWriteKey(body);
    if (!key) throw new IngestionError(IngestionErrorCode.Unauthenticated, 'Missing write key (HTTP Basic username)', 'writeKey');
    return this.resolveKey(key, 'writeKey');
  }

  /**
   * analytics.js' loader and settings embed the key in publicly cached answers: only a
   * publishable key (public by design) may appear there.
   */
  private async resolvePublishableKey(writeKey: string): Promise<void> {
    const { scope } = await this.resolveKey(writeKey, 'writeKey');
    if (scope !== 'publishable') {
      throw new IngestionError(
        IngestionErrorCode.Unauthenticated,
        'Write key must be a publishable key (pk_…) here: this answer is public; never ship a secret key to browsers',
        'writeKey',
      );
    }
  }

  /** The project and scope of a publishable or secret key (cached); `field` names where the key came from. */
  private async resolveKey(key: string, field: string): Promise<ResolvedKey> {
    let reply;
    try {
      reply = await this.keys.resolve(key.slice(0, 200));
    } catch (error) {
      this.logger.warn({ err: error }, 'write key look-up failed');
      throw new IngestionError(IngestionErrorCode.Unavailable, 'Cannot verify the write key right now; retry later');
    }
    if (!reply.ok) throw new IngestionError(IngestionErrorCode.Unauthenticated, `${field === 'writeKey' ? 'Write key' : 'Passcode'} ${reply.reason}`, field);
    return { projectId: reply.projectId, scope: reply.scope };
  }
}

interface ResolvedKey {
  projectId: string;
  scope: CallerScope;
}

/** The user token sent for every event of the request (server SDKs), if any. */
function tokenHeader(request: IncomingMessage): ReceivedCommand['token'] {
  const value = header(request, USER_TOKEN_HEADER);
  return value === undefined ? undefined : { value, field: 'X-User-Token' };
}

function httpStatusOf(error: DomainError): number {
  return (toGraphQLError(error).extensions.http as { status: number }).status;
}

function sendDomainError(response: ServerResponse, error: DomainError): void {
  send(response, httpStatusOf(error), { success: false, error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } });
}

/** The request path, or '' when the URL does not parse (answered 404). */
function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://x').pathname;
  } catch {
    return '';
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function writeKeyOf(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const username = decoded.split(':')[0];
  return username || undefined;
}

function bodyWriteKey(body: unknown): string | undefined {
  const key = (body as { writeKey?: unknown } | null)?.writeKey;
  return typeof key === 'string' && key ? key : undefined;
}

/** Reads, un-gzips and parses the body, refusing more than `limit` bytes (compressed or not); `bytes`: its JSON's length. */
async function readBody(request: IncomingMessage, limit: number, field: string): Promise<{ body: unknown; bytes: number }> {
  const tooLarge = () =>
    new IngestionError(IngestionErrorCode.TooLarge, `${field}: must be at most ${limit / 1024} KB`, field);
  // Not `for await`: leaving it early destroys the request, and the client's kept-alive connection then hangs.
  let raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size > limit) return; // refused: the rest is read and dropped
      size += chunk.length;
      if (size > limit) reject(tooLarge());
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
    request.on('close', () => reject(new Error('request closed before its body ended')));
  });
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'gzip') {
    try {
      raw = await gunzipAsync(raw, { maxOutputLength: limit + 1 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
      throw new IngestionError(IngestionErrorCode.InvalidRequest, 'body: is not valid gzip', 'body');
    }
    if (raw.length > limit) throw tooLarge();
  } else if (encoding !== 'identity') {
    throw new IngestionError(IngestionErrorCode.InvalidRequest, `content-encoding: ${encoding} is not supported (use gzip)`, 'content-encoding');
  }
  const text = raw.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new IngestionError(IngestionErrorCode.InvalidRequest, 'body: is not valid JSON', 'body');
  }
  // NUL and lone surrogates only arrive escaped, so only a body with such an escape is walked.
  const unstorable = mayHoldUnstorableText(text) ? unstorableText(body) : undefined;
  if (unstorable !== undefined) {
    throw new IngestionError(IngestionErrorCode.InvalidRequest, `${unstorable.field}: ${unstorable.rule}`, unstorable.field);
  }
  return { body, bytes: raw.length };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  respond(response, status, 'application/json', JSON.stringify(body));
}

function sendScript(response: ServerResponse, script: string | Buffer, maxAgeSeconds: number): void {
  response.setHeader('cache-control', `public, max-age=${maxAgeSeconds}`);
  respond(response, 200, 'application/javascript; charset=utf-8', script);
}

function respond(response: ServerResponse, status: number, contentType: string, payload: string | Buffer): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}
