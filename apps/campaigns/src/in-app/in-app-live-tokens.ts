import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { jwtVerify, SignJWT } from 'jose';
import { SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';

const ISSUER = 'boomerang-campaigns';
const AUDIENCE = 'in-app-live';
/** How long a live token opens the socket for: the socket is closed when its token expires (the client mints a new one and reconnects). */
export const IN_APP_LIVE_TOKEN_TTL_SECONDS = 300;

export interface InAppLiveGrant {
  projectId: string;
  profileId: string;
}

/** A verified live token: its grant and when it stops being good (the socket it opened is closed then). */
export interface VerifiedInAppLiveGrant extends InAppLiveGrant {
  expiresAt: Date;
}

/**
 * Short-lived tokens that open the live in-app socket for one profile of one project (HS256 JWT,
 * key derived from the platform's internal secret, so only campaigns mints and checks them).
 */
@Injectable()
export class InAppLiveTokens {
  private readonly key: Uint8Array;

  constructor(@Inject(SUBGRAPH_CONFIG) config: SubgraphConfig) {
    this.key = createHmac('sha256', config.INTERNAL_SIGNING_SECRET).update('boomerang in-app live token v1').digest();
  }

  async mint(grant: InAppLiveGrant, now: Date): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const token = await new SignJWT({ project: grant.projectId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(grant.profileId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + IN_APP_LIVE_TOKEN_TTL_SECONDS)
      .sign(this.key);
    return { token, expiresAt: new Date((issuedAt + IN_APP_LIVE_TOKEN_TTL_SECONDS) * 1000) };
  }

  /** The grant of a live token and its expiry, or null when it is malformed, forged or expired. */
  async verify(token: string, now: Date): Promise<VerifiedInAppLiveGrant | null> {
    if (token.length === 0 || token.length > 2048) return null;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, currentDate: now, requiredClaims: ['sub', 'exp'] });
      return typeof payload.project === 'string' && typeof payload.sub === 'string' && typeof payload.exp === 'number'
        ? { projectId: payload.project, profileId: payload.sub, expiresAt: new Date(payload.exp * 1000) }
        : null;
    } catch {
      return null;
    }
  }
}
