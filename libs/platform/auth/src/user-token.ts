import { createHmac } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/**
 * User tokens: a product's backend asks for one with its secret key (the `createUserToken`
 * mutation) after its own login, and hands it to its app, which sends it with publishable-key
 * calls. A token proves "this caller is user U of project P" for a short time, so writes for U
 * made with it are trusted like the backend's own (Braze's SDK authentication, Intercom's
 * identity verification).
 *
 * HS256 JWT: `sub` the user id, `aud` the project, `iss` boomerang, `exp`. The key is derived
 * per project from the platform's internal secret, so a token of one project never verifies in
 * another and no per-project secret has to be stored or shipped between services.
 */
const ISSUER = 'boomerang';
const TOKEN_TYPE = 'user';
export const DEFAULT_USER_TOKEN_TTL_SECONDS = 3600;
export const MIN_USER_TOKEN_TTL_SECONDS = 60;
export const MAX_USER_TOKEN_TTL_SECONDS = 86_400;
/** Clock skew allowed between the minting and the verifying service. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** A token is a few hundred characters; anything much longer is not one. */
const MAX_TOKEN_LENGTH = 2048;

export type UserTokenRejection = 'malformed' | 'expired' | 'invalid';

export type UserTokenCheck = { ok: true; userId: string; expiresAt: Date } | { ok: false; reason: UserTokenRejection };

function projectKey(internalSecret: string, projectId: string): Uint8Array {
  return createHmac('sha256', internalSecret).update(`boomerang user token v1\0${projectId}`).digest();
}

export class UserTokens {
  constructor(private readonly internalSecret: string) {}

  async mint(projectId: string, userId: string, ttlSeconds: number, now: Date): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + ttlSeconds) * 1000);
    const token = await new SignJWT({ typ: TOKEN_TYPE })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(projectId)
      .setSubject(userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(projectKey(this.internalSecret, projectId));
    return { token, expiresAt };
  }

  /** Whether `token` is a live user token of `projectId`, and for which user. */
  async verify(projectId: string, token: unknown, now: Date): Promise<UserTokenCheck> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
    try {
      const { payload } = await jwtVerify(token, projectKey(this.internalSecret, projectId), {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: projectId,
        currentDate: now,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp'],
      });
      if (payload.typ !== TOKEN_TYPE || typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'invalid' };
      return { ok: true, userId: payload.sub, expiresAt: new Date(payload.exp! * 1000) };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired' };
      if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return { ok: false, reason: 'malformed' };
      return { ok: false, reason: 'invalid' };
    }
  }
}
