import { timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { ResolveApiKey } from '@boomerang/contracts';
import { INTERNAL_HEADERS, keyKindOf, type ApiKeyCache, type CallerContext } from '@boomerang/platform/auth';

type Headers = Record<string, string | string[] | undefined>;

const REFUSED_KEY_MESSAGES = {
  unknown: 'Unknown API key',
  revoked: 'This API key has been revoked',
  malformed: 'Malformed API key: expected pk_… or sk_…',
} as const;

function unauthenticated(message: string, reason: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', reason, http: { status: 401 } } });
}

function presentedKey(headers: Headers): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (match) return match[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey ? apiKey : undefined;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Turns a request's credentials into the caller context the gateway signs for subgraphs. */
export class CallerAuthenticator {
  constructor(
    private readonly keys: ApiKeyCache,
    private readonly adminToken: string,
  ) {}

  async authenticate(headers: Headers): Promise<CallerContext> {
    const forged = INTERNAL_HEADERS.filter((name) => headers[name] !== undefined);
    if (forged.length > 0) {
      throw new GraphQLError(`${forged.join(', ')} is an internal header and may not be sent by clients`, {
        extensions: { code: 'FORBIDDEN', reason: 'INTERNAL_HEADER', http: { status: 400 } },
      });
    }
    const key = presentedKey(headers);
    if (!key) {
      throw unauthenticated('Missing API key: send "Authorization: Bearer <pk_… or sk_…>"', 'MISSING_KEY');
    }
    if (sameSecret(key, this.adminToken)) return { projectId: null, keyId: null, scope: 'admin' };
    // A key workspace could not even be asked about (the request contract bounds its length) is no key.
    if (!keyKindOf(key) || !ResolveApiKey.request.safeParse({ key }).success) {
      throw unauthenticated(REFUSED_KEY_MESSAGES.malformed, 'KEY_MALFORMED');
    }
    const reply = await this.keys.resolve(key).catch(() => {
      throw new GraphQLError('Key verification is temporarily unavailable; retry shortly', {
        extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
      });
    });
    if (!reply.ok) {
      throw unauthenticated(REFUSED_KEY_MESSAGES[reply.reason], `KEY_${reply.reason.toUpperCase()}`);
    }
    return { projectId: reply.projectId, keyId: reply.keyId, scope: reply.scope };
  }
}
