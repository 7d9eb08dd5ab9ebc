import { UserTokens } from './user-token.js';

const secret = 'a'.repeat(40);
const projectId = '3f2b8c1e-5d4a-4b7e-9a1f-2c3d4e5f6a7b';
const otherProject = '9a1f2c3d-4e5f-4a7b-8c1e-5d4a4b7e3f2b';
const now = new Date('2026-12-05T10:00:00Z');
const sut = new UserTokens(secret);

describe('UserTokens', () => {
  it('verifies its own token for the user and project it names', async () => {
    const { token, expiresAt } = await sut.mint(projectId, 'user-1', 600, now);
    expect(expiresAt.toISOString()).toBe('2026-12-05T10:10:00.000Z');
    await expect(sut.verify(projectId, token, now)).resolves.toEqual({ ok: true, userId: 'user-1', expiresAt });
  });

  it('refuses a token of another project, another secret, or tampered', async () => {
    const { token } = await sut.mint(projectId, 'user-1', 600, now);
    await expect(sut.verify(otherProject, token, now)).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(new UserTokens('b'.repeat(40)).verify(projectId, token, now)).resolves.toEqual({ ok: false, reason: 'invalid' });
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'victim' })).toString('base64url');
    await expect(sut.verify(projectId, `${header}.${forged}.${signature}`, now)).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses an expired token (past a 30 s tolerance) and garbage', async () => {
    const { token } = await sut.mint(projectId, 'user-1', 60, now);
    await expect(sut.verify(projectId, token, new Date(now.getTime() + 85_000))).resolves.toMatchObject({ ok: true });
    await expect(sut.verify(projectId, token, new Date(now.getTime() + 95_000))).resolves.toEqual({ ok: false, reason: 'expired' });
    for (const garbage of ['', 'x', 'a.b.c', 42, null, 'x'.repeat(5000)]) {
      await expect(sut.verify(projectId, garbage, now)).resolves.toMatchObject({ ok: false });
    }
  });
});
