import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Who is calling: the gateway resolves this from the API key and signs it for subgraphs. */
export type CallerScope = 'publishable' | 'secret' | 'admin' | 'system';

export interface CallerContext {
  /** Null only for the admin token (which may create projects) and gateway system calls. */
  readonly projectId: string | null;
  readonly keyId: string | null;
  readonly scope: CallerScope;
}

export const CONTEXT_HEADER = 'x-boomerang-context';
export const SIGNATURE_HEADER = 'x-boomerang-signature';
/** Headers a client must never be able to set; the gateway strips them from every request. */
export const INTERNAL_HEADERS = [CONTEXT_HEADER, SIGNATURE_HEADER] as const;

/** A signed context is good for one request body, this long after it was signed. */
export const CONTEXT_LIFETIME_MS = 30_000;
/** How far ahead of the verifier's clock the signer's may run. */
export const CONTEXT_CLOCK_SKEW_MS = 5_000;

export type SignedContextHeaders = Record<typeof CONTEXT_HEADER | typeof SIGNATURE_HEADER, string>;

/** The request body as signed and verified: the exact bytes sent (a string counts as its UTF-8 bytes). */
export type SignedBody = string | Uint8Array;

export class ContextSignatureError extends Error {
  override name = 'ContextSignatureError';
}

interface SignedPayload extends CallerContext {
  /** Issue time, ms since the epoch. */
  readonly iat: number;
  /** SHA-256 of the request body, base64url. */
  readonly body: string;
}

function hmac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

function bodyDigest(body: SignedBody): Buffer {
  return createHash('sha256').update(body).digest();
}

/**
 * Encodes and signs a caller context for the internal headers, bound to the request body it
 * travels with and to its issue time: a captured pair is worthless with another body or later.
 */
export function signCallerContext(context: CallerContext, body: SignedBody, secret: string, now = Date.now()): SignedContextHeaders {
  const signed: SignedPayload = { projectId: context.projectId, keyId: context.keyId, scope: context.scope, iat: now, body: bodyDigest(body).toString('base64url') };
  const payload = Buffer.from(JSON.stringify(signed)).toString('base64url');
  return { [CONTEXT_HEADER]: payload, [SIGNATURE_HEADER]: hmac(secret, payload) };
}

/**
 * Verifies the internal headers against the raw body the request carried (undefined when it had
 * none); throws unless they are present, untampered, fresh and signed for exactly that body.
 */
export function verifyCallerContext(
  headers: Record<string, string | string[] | undefined>,
  body: SignedBody | undefined,
  secret: string,
  now = Date.now(),
): CallerContext {
  const payload = headers[CONTEXT_HEADER];
  const signature = headers[SIGNATURE_HEADER];
  if (typeof payload !== 'string' || typeof signature !== 'string') {
    throw new ContextSignatureError('request is not signed by the gateway');
  }
  if (!sameBytes(Buffer.from(hmac(secret, payload)), Buffer.from(signature))) {
    throw new ContextSignatureError('request signature does not match its context');
  }
  const signed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<SignedPayload>;
  const age = typeof signed.iat === 'number' ? now - signed.iat : Number.NaN;
  if (!(age <= CONTEXT_LIFETIME_MS && age >= -CONTEXT_CLOCK_SKEW_MS)) {
    throw new ContextSignatureError('request context has expired');
  }
  if (body === undefined || typeof signed.body !== 'string' || !sameBytes(bodyDigest(body), Buffer.from(signed.body, 'base64url'))) {
    throw new ContextSignatureError('request body is not the one its context was signed for');
  }
  return { projectId: signed.projectId ?? null, keyId: signed.keyId ?? null, scope: signed.scope! };
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
