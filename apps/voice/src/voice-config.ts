import { cpus } from 'node:os';
import { Global, Module } from '@nestjs/common';
import { z } from 'zod';
import { configProvider } from '@boomerang/platform/config';
import { Clock } from '@boomerang/platform/subgraph';

const seconds = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

/** voice's own settings, beside the platform ones SubgraphModule loads. One schema for the whole app: add fields here. */
export const voiceEnv = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    /** How long a call rings before it is MISSED, unless placeCall gives ringTimeoutSeconds. */
    VOICE_RING_TIMEOUT_SECONDS: seconds(30),
    /** An answered call ends (MAX_DURATION) after this long. */
    VOICE_MAX_CALL_SECONDS: seconds(3600),
    /** Masked proxy numbers are this prefix plus seven random digits. */
    VOICE_PROXY_NUMBER_PREFIX: z.string().regex(/^\+\d{1,8}$/, 'must be + followed by 1 to 8 digits').default('+1555'),
    /** A proxy number stays mapped to its profile this long after its call ended. */
    VOICE_PROXY_TTL_SECONDS: seconds(3600, 0),
    /** How often deadlines (ring timeouts, maximum durations) are swept from the database. */
    VOICE_DEADLINE_SWEEP_MS: z.coerce.number().int().min(100).default(3000),
    /** HS256 key for call tokens. Required in production; elsewhere a per-process random key stands in. */
    VOICE_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** The port of the public listener (signalling WebSocket, web client); the subgraph port serves only the gateway. */
    VOICE_PUBLIC_PORT: z.coerce.number().int().min(0).max(65535).default(4118),
    /** Base URL clients reach the public listener at (default http://127.0.0.1:<VOICE_PUBLIC_PORT>); tokens come with its signalling URL. */
    VOICE_PUBLIC_URL: z.string().url().optional(),
    VOICE_MEDIA_WORKERS: z.coerce.number().int().min(1).default(Math.max(1, cpus().length)),
    VOICE_RTC_MIN_PORT: z.coerce.number().int().min(1).max(65535).default(40000),
    VOICE_RTC_MAX_PORT: z.coerce.number().int().min(1).max(65535).default(49999),
    VOICE_LISTEN_IP: z.string().default('127.0.0.1'),
    VOICE_ANNOUNCED_IP: z.string().optional(),
    VOICE_MEDIA_LOG_LEVEL: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
    /** mediasoup marks a transport ICE-disconnected when its client sends no consent check for this long (10-60 s). */
    VOICE_ICE_CONSENT_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(60).default(30),
    /** How long a participant may stay ICE-disconnected before its call's media counts as failed. */
    VOICE_MEDIA_DISCONNECT_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(10),
    /** After a client connects a transport, ICE and DTLS must complete within this long, else its media failed. */
    VOICE_MEDIA_CONNECT_TIMEOUT_SECONDS: z.coerce.number().min(1).max(600).default(20),
    /** How long a live call waits for a participant whose last signalling socket closed to reconnect. */
    VOICE_RECONNECT_GRACE_SECONDS: z.coerce.number().min(0).max(600).default(10),
  })
  .superRefine((env, context) => {
    if (env.NODE_ENV === 'production' && !env.VOICE_TOKEN_SECRET) {
      context.addIssue({ code: 'custom', path: ['VOICE_TOKEN_SECRET'], message: 'is required in production' });
    }
    if (env.VOICE_RTC_MIN_PORT > env.VOICE_RTC_MAX_PORT) {
      context.addIssue({ code: 'custom', path: ['VOICE_RTC_MIN_PORT'], message: 'must not exceed VOICE_RTC_MAX_PORT' });
    }
  })
  .transform((env) => ({ ...env, VOICE_PUBLIC_URL: env.VOICE_PUBLIC_URL ?? `http://127.0.0.1:${env.VOICE_PUBLIC_PORT}` }));

export type VoiceConfig = z.infer<typeof voiceEnv>;

export const VOICE_CONFIG = Symbol('VOICE_CONFIG');

/** VOICE_CONFIG and the one Clock for every voice module (tests pin time on that instance). */
@Global()
@Module({
  providers: [configProvider(VOICE_CONFIG, voiceEnv), Clock],
  exports: [VOICE_CONFIG, Clock],
})
export class VoiceConfigModule {}
