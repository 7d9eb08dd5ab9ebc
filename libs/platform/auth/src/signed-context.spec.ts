import { generateApiKey, hashApiKey, keyKindOf } from './api-key.js';
import { CONTEXT_HEADER, signCallerContext, verifyCallerContext } from './signed-context.js';

const secret = 's'.repeat(40);
const context = { projectId: '6c1c9d0e-1b7a-4c51-9a43-5a0f2c1d9e11', keyId: null, scope: 'secret' as const };

describe('signed caller context', () => {
  it('round-trips a signed context', () => {
    const now = 1_700_000_000_000;
    expect(verifyCallerContext(signCallerContext(context, secret, now), secret, now + 1000)).toEqual(context);
  });

  it('rejects unsigned, tampered, foreign-secret and stale contexts', () => {
    const headers = signCallerContext(context, secret, 1_000);
    expect(() => verifyCallerContext({}, secret, 1_000)).toThrow(/not signed/);
    const forged = Buffer.from(JSON.stringify({ ...context, projectId: 'other', iat: 1_000 })).toString('base64url');
    expect(() => verifyCallerContext({ ...headers, [CONTEXT_HEADER]: forged }, secret, 1_000)).toThrow(/does not match/);
    expect(() => verifyCallerContext(headers, 'x'.repeat(40), 1_000)).toThrow(/does not match/);
    expect(() => verifyCallerContext(headers, secret, 1_000 + 10 * 60 * 1000)).toThrow(/expired/);
  });
});

describe('api keys', () => {
  it('generates prefixed keys stored only as hashes', () => {
    const { key, hash, hint } = generateApiKey('secret');
    expect(key).toMatch(/^sk_[A-Za-z0-9_-]{32}$/);
    expect(hash).toBe(hashApiKey(key));
    expect(hash).not.toContain(key);
    expect(hint).toMatch(/^sk_.{4}…/);
    expect(keyKindOf(generateApiKey('publishable').key)).toBe('publishable');
    expect(keyKindOf('nope')).toBeUndefined();
  });
});
