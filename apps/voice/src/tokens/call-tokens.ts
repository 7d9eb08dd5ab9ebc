import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { Clock, KnownProfiles, LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { SIGNALLING_PATH } from '../../client/protocol.js';
import { validIdentity, validProfileId, type CallIdentityInput } from '../calls/call-input.js';
import { CallError, CallErrorCode, invalidInput } from '../calls/call.errors.js';
import type { ClientIdentity } from '../presence/connected-clients.js';
import { VOICE_CONFIG, type VoiceConfig } from '../voice-config.js';

const ISSUER = 'boomerang-voice';
const AUDIENCE = 'voice-signalling';
export const DEFAULT_TOKEN_TTL_SECONDS = 900;
export const MAX_TOKEN_TTL_SECONDS = 86_400;
const MIN_TOKEN_TTL_SECONDS = 10;

export interface VerifiedCallToken {
  projectId: string;
  profileId: string;
  identity?: ClientIdentity;
  expiresAt: Date;
}

/**
 * Short-lived call tokens (HS256 JWT: project, profile as `sub`, optional masked identity, exp,
 * jti), minted for known profiles only. A token acts only as its own profile, in its own project.
 */
@Injectable()
export class CallTokens {
  private readonly key: Uint8Array;
  /** The signalling WebSocket URL handed out with tokens. */
  readonly signallingUrl: string;

  constructor(
    @Inject(VOICE_CONFIG) config: VoiceConfig,
    private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
    private readonly knownProfiles: KnownProfiles,
  ) {
    let secret = config.VOICE_TOKEN_SECRET;
    if (!secret) {
      // Outside production only (the config refuses it there): tokens do not survive a restart.
      logger.warn('VOICE_TOKEN_SECRET is not set; call tokens use a random per-process key');
      secret = randomBytes(32).toString('hex');
    }
    this.key = new TextEncoder().encode(secret);
    const url = new URL(SIGNALLING_PATH, config.VOICE_PUBLIC_URL);
    url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
    this.signallingUrl = url.toString();
  }

  async mint(projectId: string, profileId: string, ttlSeconds: number = DEFAULT_TOKEN_TTL_SECONDS, identity?: CallIdentityInput | null): Promise<{ token: string; expiresAt: Date }> {
    validProfileId(profileId, 'profileId');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < MIN_TOKEN_TTL_SECONDS || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
      throw invalidInput('ttlSeconds', `ttlSeconds must be a whole number from ${MIN_TOKEN_TTL_SECONDS} to ${MAX_TOKEN_TTL_SECONDS}`);
    }
    const boundIdentity = validIdentity(identity, 'identity');
    await this.knownProfiles.require(projectId, [{ profileId, field: 'profileId' }]);
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    const expiresAt = new Date((nowSeconds + ttlSeconds) * 1000);
    const token = await new SignJWT({ project: projectId, ...(boundIdentity ? { identity: boundIdentity } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(profileId)
      .setJti(randomUUID())
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ttlSeconds)
      .sign(this.key);
    return { token, expiresAt };
  }

  /** Throws CallError INVALID_TOKEN for anything but an unexpired token this service signed. */
  async verify(token: string): Promise<VerifiedCallToken> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: this.clock.now(),
        requiredClaims: ['sub', 'exp', 'jti', 'project'],
      });
      const projectId = validProfileId(payload.project, 'project');
      const profileId = validProfileId(payload.sub, 'sub');
      const identity = validIdentity(payload.identity as never, 'identity');
      return { projectId, profileId, ...(identity ? { identity } : {}), expiresAt: new Date(payload.exp! * 1000) };
    } catch (error) {
      const expired = error instanceof joseErrors.JWTExpired;
      throw new CallError(CallErrorCode.InvalidToken, expired ? 'The call token has expired' : 'The call token is not valid');
    }
  }
}
