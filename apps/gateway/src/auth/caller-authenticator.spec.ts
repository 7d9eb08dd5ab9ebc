import type { ResolveApiKeyReply } from '@boomerang/contracts';
import { ApiKeyCache } from '@boomerang/platform/auth';
import { CallerAuthenticator } from './caller-authenticator.js';

const projectId = '0e9f1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const keyId = '1f0e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b';

/** A cache whose answers the test controls, counting look-ups. */
function keysAnswering(replies: Record<string, ResolveApiKeyReply>) {
  const calls: string[] = [];
  const keys = { resolve: async (key: string) => (calls.push(key), replies[key] ?? { ok: false, reason: 'unknown' }) };
  return { keys: keys as unknown as ApiKeyCache, calls };
}

describe('CallerAuthenticator', () => {
  const admin = 'a'.repeat(40);

  it('maps keys, the admin token and bad credentials to callers or clear errors', async () => {
    const { keys } = keysAnswering({ sk_good: { ok: true, projectId, keyId, scope: 'secret' }, sk_old: { ok: false, reason: 'revoked' } });
    const sut = new CallerAuthenticator(keys, admin);
    await expect(sut.authenticate({ authorization: 'Bearer sk_good' })).resolves.toEqual({ projectId, keyId, scope: 'secret' });
    await expect(sut.authenticate({ 'x-api-key': 'sk_good' })).resolves.toMatchObject({ scope: 'secret' });
    await expect(sut.authenticate({ authorization: `Bearer ${admin}` })).resolves.toEqual({ projectId: null, keyId: null, scope: 'admin' });
    await expect(sut.authenticate({})).rejects.toThrow(/Missing API key/);
    await expect(sut.authenticate({ authorization: 'Bearer sk_old' })).rejects.toThrow(/revoked/);
    await expect(sut.authenticate({ authorization: 'Bearer sk_good', 'x-boomerang-context': 'x' })).rejects.toThrow(/internal header/);
  });

  it('refuses keys that cannot be well-formed as malformed, without asking workspace', async () => {
    const { keys, calls } = keysAnswering({});
    const sut = new CallerAuthenticator(keys, admin);
    for (const key of [`sk_${'a'.repeat(300)}`, 'nope', 'Sk_upper']) {
      await expect(sut.authenticate({ authorization: `Bearer ${key}` })).rejects.toMatchObject({
        extensions: { code: 'UNAUTHENTICATED', reason: 'KEY_MALFORMED', http: { status: 401 } },
      });
    }
    expect(calls).toEqual([]);
  });
});

describe('ApiKeyCache', () => {
  it('answers from memory within the TTL and asks again after it', async () => {
    let now = 0;
    const asked: string[] = [];
    const nc = {
      request: async (_subject: string, data: string) => {
        asked.push(JSON.parse(data).key);
        return { json: () => ({ ok: true, projectId, keyId, scope: 'publishable' }) };
      },
    };
    const { SubjectNamer } = await import('@boomerang/contracts');
    const sut = new ApiKeyCache({ nc: nc as never, subjects: new SubjectNamer() }, 5000, () => now);
    await Promise.all([sut.resolve('pk_a'), sut.resolve('pk_a')]);
    await sut.resolve('pk_a');
    expect(asked).toEqual(['pk_a']);
    now = 6000;
    await sut.resolve('pk_a');
    expect(asked).toEqual(['pk_a', 'pk_a']);
  });

  it('keeps answering an expired key while workspace does not answer, up to the stale limit', async () => {
    let now = 0;
    let workspaceUp = true;
    const nc = {
      request: async () => {
        if (!workspaceUp) throw Object.assign(new Error('503'), { code: '503' });
        return { json: () => ({ ok: true, projectId, keyId, scope: 'secret' }) };
      },
    };
    const { SubjectNamer } = await import('@boomerang/contracts');
    const sut = new ApiKeyCache({ nc: nc as never, subjects: new SubjectNamer() }, 5000, () => now, 10_000, 60_000);
    await sut.resolve('sk_a');
    workspaceUp = false;
    now = 64_999;
    await expect(sut.resolve('sk_a')).resolves.toMatchObject({ ok: true, projectId });
    await expect(sut.resolve('sk_never_seen')).rejects.toThrow();
    now = 65_000;
    await expect(sut.resolve('sk_a')).rejects.toThrow();
    workspaceUp = true;
    await expect(sut.resolve('sk_a')).resolves.toMatchObject({ ok: true });
  });
});
