import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { v7 as timeOrderedUuid } from 'uuid';
import { z } from 'zod';
import { EVENT_TYPES } from '@boomerang/contracts';
import { ApiKeyCache } from '@boomerang/platform/auth';
import { loadConfig } from '@boomerang/platform/config';
import type { Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER, MESSAGING } from '@boomerang/platform/subgraph';
import type { EventType } from '../events/event.entity.js';
import { IngestEvents } from './ingest-events.use-case.js';
import { IngestionError, IngestionErrorCode } from './ingestion.errors.js';
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

const ingestEnv = z.object({
  INGEST_PORT: z.coerce.number().int().min(0).max(65535).default(4200),
  HOST: z.string().default('127.0.0.1'),
  /** How long a resolved write key is trusted before workspace is asked again. */
  INGEST_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5_000),
  /** The API's address as browsers reach it (e.g. https://ingest.example.com), when a proxy rewrites Host; analytics.js is pointed there. */
  INGEST_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
});

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
  private readonly config = loadConfig(ingestEnv);
  private readonly keys: ApiKeyCache;
  private readonly analyticsJs = new AnalyticsJsBuild();
  private readonly configuredAddress = this.config.INGEST_PUBLIC_URL === undefined ? undefined : publicAddress(this.config.INGEST_PUBLIC_URL);
  private server?: Server;

  constructor(
    private readonly ingestEvents: IngestEvents,
    private readonly clock: Clock,
    @Inject(MESSAGING) messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.keys = new ApiKeyCache(messaging, this.config.INGEST_KEY_CACHE_TTL_MS);
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
      server.listen(this.config.INGEST_PORT, this.config.HOST, () => resolve());
    });
    this.server = server;
    this.logger.info({ port: this.port }, `events ingestion API at http://${this.config.HOST}:${this.port}/v1/batch`);
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
      const projectId = await this.authenticate(request, body);
      const commands = segmentCommands(call, body, receivedAt, timeOrderedUuid, bytes);
      await this.ingestEvents.execute(projectId, commands);
      send(response, 200, { success: true });
    } catch (error) {
      if (error instanceof IngestionError) return send(response, error.status, error);
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
        await this.resolveKey(asset.writeKey, 'writeKey');
        return sendScript(response, this.analyticsJs.loaderFor(asset.writeKey), 300);
      case 'settings': {
        await this.resolveKey(asset.writeKey, 'writeKey');
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
      const projectId = await this.resolveKey(passcode, 'X-CleverTap-Passcode');
      if (projectId !== accountId) {
        throw new IngestionError(IngestionErrorCode.Unauthenticated, 'Passcode does not belong to this account', 'X-CleverTap-Account-Id');
      }
      const receivedAt = this.clock.now();
      const { body } = await readBody(request, CLEVERTAP_MAX_BODY_BYTES, 'body');
      const { commands, unprocessed } = clevertapCommands(projectId, body, receivedAt);
      await this.ingestEvents.execute(projectId, commands);
      const status = unprocessed.length === 0 ? 'success' : commands.length === 0 ? 'fail' : 'partial';
      send(response, 200, { status, processed: commands.length, unprocessed });
    } catch (error) {
      if (error instanceof IngestionError) {
        return send(response, error.status, { status: 'fail', code: error.status, error: error.message, ...(error.field ? { field: error.field } : {}) });
      }
      this.logger.error({ err: error }, 'clevertap upload failed');
      send(response, 500, { status: 'fail', code: 500, error: 'Internal error; retry later' });
    }
  }

  private async authenticate(request: IncomingMessage, body: unknown): Promise<string> {
    const key = writeKeyOf(request.headers.authorization) ?? bodyWriteKey(body);
    if (!key) throw new IngestionError(IngestionErrorCode.Unauthenticated, 'Missing write key (HTTP Basic username)', 'writeKey');
    return this.resolveKey(key, 'writeKey');
  }

  /** The project of a publishable or secret key (cached); `field` names where the key came from. */
  private async resolveKey(key: string, field: string): Promise<string> {
    let reply;
    try {
      reply = await this.keys.resolve(key.slice(0, 200));
    } catch (error) {
      this.logger.warn({ err: error }, 'write key look-up failed');
      throw new IngestionError(IngestionErrorCode.Unavailable, 'Cannot verify the write key right now; retry later');
    }
    if (!reply.ok) throw new IngestionError(IngestionErrorCode.Unauthenticated, `${field === 'writeKey' ? 'Write key' : 'Passcode'} ${reply.reason}`, field);
    return reply.projectId;
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
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  let raw = Buffer.concat(chunks);
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
  // PostgreSQL text and jsonb cannot hold NUL; JSON can only carry one escaped, so the scan runs rarely.
  const nul = text.includes('\\u0000') ? pathToNul(body, '') : undefined;
  if (nul !== undefined) {
    throw new IngestionError(IngestionErrorCode.InvalidRequest, `${nul || 'body'}: must not contain the NUL character (\\u0000)`, nul || 'body');
  }
  return { body, bytes: raw.length };
}

/** Where the first NUL character is (a key or a string value), as `batch[3].properties.note`, or undefined. */
function pathToNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = pathToNul(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    if (key.includes('\0')) return field;
    const found = pathToNul(item, field);
    if (found !== undefined) return found;
  }
  return undefined;
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
