import { randomUUID } from 'node:crypto';
import { loadConfig } from '@boomerang/platform/config';
import { Clock, KnownProfileError, KnownProfileErrorCode, type KnownProfiles, type ProfileIdArgument } from '@boomerang/platform/subgraph';
import { voiceEnv } from '../voice-config.js';
import { CallTokens } from './call-tokens.js';

class PinnedClock extends Clock {
  constructor(public at: Date) {
    super();
  }
  override now(): Date {
    return new Date(this.at);
  }
}

const quietLogger = { warn: () => undefined } as never;
const SECRET = 'a-call-token-secret-that-is-long-enough-0123';
/** Every profile id but `unknownId` is a known profile. */
const knownProfilesBut = (unknownId?: string) =>
  ({
    require: async (_projectId: string, ids: readonly ProfileIdArgument[]) => {
      const unknown = ids.find((id) => id.profileId === unknownId);
      if (unknown) throw new KnownProfileError(KnownProfileErrorCode.ProfileNotFound, `No profile ${unknown.profileId}`, unknown.field);
    },
  }) as unknown as KnownProfiles;
const tokensWith = (clock: Clock, env: Record<string, string> = {}, knownProfiles = knownProfilesBut()) =>
  new CallTokens(loadConfig(voiceEnv, { VOICE_TOKEN_SECRET: SECRET, NODE_ENV: 'test', ...env }), clock, quietLogger, knownProfiles);

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('CallTokens', () => {
  const projectId = randomUUID();
  const profileId = randomUUID();
  let clock: PinnedClock;
  let sut: CallTokens;
  beforeEach(() => {
    clock = new PinnedClock(new Date('2026-11-23T10:00:00.000Z'));
    sut = tokensWith(clock);
  });

  it('mints a token that verifies as its project, profile and identity until it expires', async () => {
    const { token, expiresAt } = await sut.mint(projectId, profileId, 600, { displayName: 'Ravi', role: 'Delivery partner' });
    expect(expiresAt).toEqual(new Date('2026-11-23T10:10:00.000Z'));
    expect(payloadOf(token)).toMatchObject({ project: projectId, sub: profileId, iss: 'boomerang-voice', aud: 'voice-signalling' });
    expect(typeof payloadOf(token).jti).toBe('string');
    expect(await sut.verify(token)).toEqual({ projectId, profileId, identity: { displayName: 'Ravi', role: 'Delivery partner' }, expiresAt });
    const { token: other } = await sut.mint(projectId, profileId, 600);
    expect(payloadOf(other).jti).not.toBe(payloadOf(token).jti);
    expect(await sut.verify(other)).not.toHaveProperty('identity');

    clock.at = new Date('2026-11-23T10:10:01.000Z');
    await expect(sut.verify(token)).rejects.toMatchObject({ code: 'INVALID_TOKEN', kind: 'unauthenticated', message: 'The call token has expired' });
  });

  it('refuses a token re-pointed at another profile or project, one of another key, and unsigned ones', async () => {
    const { token } = await sut.mint(projectId, profileId, 600);
    const [header, , signature] = token.split('.');
    const asOtherProfile = `${header}.${base64url({ ...payloadOf(token), sub: randomUUID() })}.${signature}`;
    const asOtherProject = `${header}.${base64url({ ...payloadOf(token), project: randomUUID() })}.${signature}`;
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payloadOf(token))}.`;
    const { token: otherKey } = await tokensWith(clock, { VOICE_TOKEN_SECRET: 'another-deployment-secret-0123456789abcdef' }).mint(projectId, profileId, 600);
    for (const forged of [asOtherProfile, asOtherProject, unsigned, otherKey, 'not a token', '']) {
      await expect(sut.verify(forged)).rejects.toMatchObject({ code: 'INVALID_TOKEN', message: 'The call token is not valid' });
    }
  });

  it('names the invalid argument', async () => {
    await expect(sut.mint(projectId, 'someone', 600)).rejects.toMatchObject({ field: 'profileId' });
    await expect(sut.mint(projectId, profileId, 5)).rejects.toMatchObject({ field: 'ttlSeconds' });
    await expect(sut.mint(projectId, profileId, 86_401)).rejects.toMatchObject({ field: 'ttlSeconds' });
    await expect(sut.mint(projectId, profileId, 60, { displayName: 'x'.repeat(65) })).rejects.toMatchObject({ field: 'identity.displayName' });
  });

  it('mints only for a known profile, after checking the arguments', async () => {
    const unknown = randomUUID();
    const sutWithUnknown = tokensWith(clock, {}, knownProfilesBut(unknown));
    await expect(sutWithUnknown.mint(projectId, unknown, 600)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND', kind: 'not-found', field: 'profileId' });
    await expect(sutWithUnknown.mint(projectId, unknown, 5)).rejects.toMatchObject({ field: 'ttlSeconds' });
    await expect(sutWithUnknown.mint(projectId, profileId, 600)).resolves.toHaveProperty('token');
  });

  it('hands out the signalling WebSocket URL of VOICE_PUBLIC_URL', () => {
    expect(sut.signallingUrl).toBe('ws://127.0.0.1:4118/calls/signal');
    expect(tokensWith(clock, { VOICE_PUBLIC_URL: 'https://calls.example.com' }).signallingUrl).toBe('wss://calls.example.com/calls/signal');
  });

  it('requires VOICE_TOKEN_SECRET in production', () => {
    expect(() => loadConfig(voiceEnv, { NODE_ENV: 'production' })).toThrow(/VOICE_TOKEN_SECRET: is required in production/);
    expect(() => loadConfig(voiceEnv, { VOICE_TOKEN_SECRET: 'short' })).toThrow(/VOICE_TOKEN_SECRET: must be at least 32 characters/);
  });
});
