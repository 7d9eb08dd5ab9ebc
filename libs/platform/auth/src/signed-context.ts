import { createHmac, timingSafeEqual } from 'node:crypto';

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

const MAX_AGE_MS = 5 * 60 * 1000;

export class ContextSignatureError extends Error {
  override name = 'ContextSignatureError';
}

function hmac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** Encodes and signs a caller context (with its issue time) for the internal headers. */
export function signCallerContext(
  context: CallerContext,
  secret: string,
  now = Date.now(),
): Record<typeof CONTEXT_HEADER | typeof SIGNATURE_HEADER, string> {
  const payload = Buffer.from(JSON.stringify({ ...context, iat: now })).toString('base64url');
  return { [CONTEXT_HEADER]: payload, [SIGNATURE_HEADER]: hmac(secret, payload) };
}

/** Verifies the internal headers; throws unless they are present, untampered and fresh. */
export function verifyCallerContext(
  headers: Record<string, string | string[] | undefined>,
  secret: string,
  now = Date.now(),
): CallerContext {
  const payload = headers[CONTEXT_HEADER];
  const signature = headers[SIGNATURE_HEADER];
  if (typeof payload !== 'string' || typeof signature !== 'string') {
    throw new ContextSignatureError('request is not signed by the gateway');
  }
  const expected = Buffer.from(hmac(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new ContextSignatureError('request signature does not match its context');
  }
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CallerContext & { iat: number };
  if (typeof decoded.iat !== 'number' || Math.abs(now - decoded.iat) > MAX_AGE_MS) {
    throw new ContextSignatureError('request context has expired');
  }
  return { projectId: decoded.projectId ?? null, keyId: decoded.keyId ?? null, scope: decoded.scope };
}
