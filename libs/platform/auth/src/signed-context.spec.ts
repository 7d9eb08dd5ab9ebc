import { generateApiKey, hashApiKey, keyKindOf } from './api-key.js';
import { CONTEXT_CLOCK_SKEW_MS, CONTEXT_HEADER, CONTEXT_LIFETIME_MS, SIGNATURE_HEADER, signCallerContext, verifyCallerContext } from './signed-context.js';

const secret = 's'.repeat(40);
const context = { projectId: '6c1c9d0e-1b7a-4c51-9a43-5a0f2c1d9e11', keyId: null, scope: 'secret' as const };

describe('signed caller context', () => {
  const body = JSON.stringify({ query: '{ project { id } }' });
  const signedAt = 1_700_000_000_000;
  const headers = signCallerContext(context, body, secret, signedAt);

  it('is accepted fresh with the exact body it was signed for, as a string or as its bytes', () => {
    expect(verifyCallerContext(headers, body, secret, signedAt + 1000)).toEqual(context);
    expect(verifyCallerContext(headers, Buffer.from(body), secret, signedAt)).toEqual(context);
    const unicode = JSON.stringify({ query: 'mutation { track(name: "Café ☕") { id } }' });
    expect(verifyCallerContext(signCallerContext(context, unicode, secret, signedAt), Buffer.from(unicode, 'utf8'), secret, signedAt)).toEqual(context);
  });

  it('refuses it with any other body, or none', () => {
    const replayed = JSON.stringify({ query: 'mutation { deleteProfile(id: "x") }' });
    expect(() => verifyCallerContext(headers, replayed, secret, signedAt)).toThrow(/body is not the one/);
    expect(() => verifyCallerContext(headers, `${body} `, secret, signedAt)).toThrow(/body is not the one/);
    expect(() => verifyCallerContext(headers, '', secret, signedAt)).toThrow(/body is not the one/);
    expect(() => verifyCallerContext(headers, undefined, secret, signedAt)).toThrow(/body is not the one/);
  });

  it(`refuses it once older than ${CONTEXT_LIFETIME_MS} ms, or from further ahead than ${CONTEXT_CLOCK_SKEW_MS} ms of clock skew`, () => {
    expect(verifyCallerContext(headers, body, secret, signedAt + CONTEXT_LIFETIME_MS)).toEqual(context);
    expect(() => verifyCallerContext(headers, body, secret, signedAt + CONTEXT_LIFETIME_MS + 1)).toThrow(/expired/);
    expect(verifyCallerContext(headers, body, secret, signedAt - CONTEXT_CLOCK_SKEW_MS)).toEqual(context);
    expect(() => verifyCallerContext(headers, body, secret, signedAt - CONTEXT_CLOCK_SKEW_MS - 1)).toThrow(/expired/);
  });

  it('refuses unsigned, tampered and foreign-secret contexts', () => {
    expect(() => verifyCallerContext({}, body, secret, signedAt)).toThrow(/not signed/);
    const decoded = JSON.parse(Buffer.from(headers[CONTEXT_HEADER], 'base64url').toString('utf8')) as Record<string, unknown>;
    const forge = (change: Record<string, unknown>) => ({ ...headers, [CONTEXT_HEADER]: Buffer.from(JSON.stringify({ ...decoded, ...change })).toString('base64url') });
    expect(() => verifyCallerContext(forge({ projectId: 'other' }), body, secret, signedAt)).toThrow(/does not match/);
    expect(() => verifyCallerContext(forge({ iat: Date.now() }), body, secret, Date.now())).toThrow(/does not match/);
    expect(() => verifyCallerContext(forge({ body: 'x' }), body, secret, signedAt)).toThrow(/does not match/);
    expect(() => verifyCallerContext({ ...headers, [SIGNATURE_HEADER]: 'x' }, body, secret, signedAt)).toThrow(/does not match/);
    expect(() => verifyCallerContext(headers, body, 'x'.repeat(40), signedAt)).toThrow(/does not match/);
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
