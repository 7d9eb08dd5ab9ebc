import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Upload tokens: `<expiry ms>.<HMAC-SHA256 of "import id.project id.expiry">`, base64url, with a
 * key derived from the platform's internal secret for this purpose alone. A token authorizes the
 * upload of one import's file until it expires; it carries no other right.
 */
export class ImportTokens {
  private readonly key: Buffer;

  constructor(internalSecret: string) {
    this.key = createHmac('sha256', internalSecret).update('boomerang segment import upload v1').digest();
  }

  mint(importId: string, projectId: string, expiresAt: Date): string {
    const expiry = expiresAt.getTime();
    return `${expiry}.${this.signature(importId, projectId, expiry)}`;
  }

  /** `ok` when `token` was minted for this import and project and has not expired at `now`. */
  check(importId: string, projectId: string, token: string, now: Date): 'ok' | 'invalid' | 'expired' {
    const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return 'invalid';
    const expiry = Number(match[1]);
    const expected = Buffer.from(this.signature(importId, projectId, expiry));
    const given = Buffer.from(match[2]!);
    if (!timingSafeEqual(expected, given)) return 'invalid';
    return now.getTime() < expiry ? 'ok' : 'expired';
  }

  private signature(importId: string, projectId: string, expiry: number): string {
    return createHmac('sha256', this.key).update(`${importId}.${projectId}.${expiry}`).digest('base64url');
  }
}
