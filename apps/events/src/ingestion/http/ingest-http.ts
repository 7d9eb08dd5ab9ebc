import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Logger } from '@boomerang/platform/observability';
import { DomainError, toGraphQLError } from '@boomerang/platform/subgraph';
import { USER_TOKEN_HEADER, type ReceivedCommand } from '../../verification/user-verification.js';
import { IngestionError, IngestionErrorCode } from '../ingestion.errors.js';
import { mayHoldUnstorableText, unstorableText } from '../json-limits.js';

/**
 * One wire format served on the ingestion port (Segment, CleverTap, analytics.js' assets): which
 * requests are its, and how it answers them. `serve` answers every request it is given, refusals
 * included (through `refuse`), and never rejects.
 */
export interface IngestAdapter<Route> {
  /** What the request asks of this wire format, or undefined when it is not its. */
  route(method: string | undefined, path: string): Route | undefined;
  serve(request: IncomingMessage, response: ServerResponse, route: Route): Promise<void>;
}

/** A refused request, whatever its wire format: the HTTP status, a code, the rule broken and the field. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  field?: string;
}

/** How a wire format words a refusal in its answer's body. */
export type RefusalBody = (refusal: Refusal) => unknown;

/** The ingestion API's own refusal body (Segment calls, analytics.js assets, unknown routes). */
export const apiRefusalBody: RefusalBody = ({ code, message, field }) => ({ success: false, error: { code, message, ...(field ? { field } : {}) } });

const INTERNAL: Refusal = { status: 500, code: 'INTERNAL', message: 'Internal error; retry later' };

/**
 * Answers a request that failed, in `body`'s wording. The one mapping of errors to HTTP answers:
 * an IngestionError or DomainError is a refusal with its own status and field; anything else is
 * ours, logged and answered 500 without internals.
 */
export function refuse(response: ServerResponse, error: unknown, logger: Logger, body: RefusalBody = apiRefusalBody): void {
  const refusal = refusalOf(error);
  if (refusal === INTERNAL) logger.error({ err: error }, 'ingestion request failed');
  send(response, refusal.status, body(refusal));
}

function refusalOf(error: unknown): Refusal {
  if (error instanceof IngestionError) return { status: error.status, code: error.code, message: error.message, field: error.field };
  if (error instanceof DomainError) {
    const status = (toGraphQLError(error).extensions.http as { status: number }).status;
    return { status, code: error.code, message: error.message, field: error.field };
  }
  return INTERNAL;
}

const gunzipAsync = promisify(gunzip);

/** Reads, un-gzips and parses the body, refusing more than `limit` bytes (compressed or not); `bytes`: its JSON's length. */
export async function readBody(request: IncomingMessage, limit: number, field: string): Promise<{ body: unknown; bytes: number }> {
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

/** A header's trimmed value, or undefined when absent, repeated or blank. */
export function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** The user token sent for every event of the request (server SDKs, CleverTap uploads), if any. */
export function userTokenHeader(request: IncomingMessage): ReceivedCommand['token'] {
  const value = header(request, USER_TOKEN_HEADER);
  return value === undefined ? undefined : { value, field: 'X-User-Token' };
}

export function send(response: ServerResponse, status: number, body: unknown): void {
  respond(response, status, 'application/json', JSON.stringify(body));
}

export function sendScript(response: ServerResponse, script: string | Buffer, maxAgeSeconds: number): void {
  response.setHeader('cache-control', `public, max-age=${maxAgeSeconds}`);
  respond(response, 200, 'application/javascript; charset=utf-8', script);
}

function respond(response: ServerResponse, status: number, contentType: string, payload: string | Buffer): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}
