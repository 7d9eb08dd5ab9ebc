import type { CallState } from './call.model.js';

export type CallRole = 'CALLER' | 'CALLEE';

/** Why a call ended: a hang-up, a limit, a failure, or the unanswered outcome itself. */
export enum CallEndReason {
  HANG_UP_CALLER = 'HANG_UP_CALLER',
  HANG_UP_CALLEE = 'HANG_UP_CALLEE',
  MAX_DURATION = 'MAX_DURATION',
  CONNECTION_LOST = 'CONNECTION_LOST',
  MEDIA_FAILED = 'MEDIA_FAILED',
  CANCELLED = 'CANCELLED',
  DECLINED = 'DECLINED',
  MISSED = 'MISSED',
  BUSY = 'BUSY',
  UNREACHABLE = 'UNREACHABLE',
}

/** How one participant is shown to the other for one call: never a real number, email or profile id. */
export interface MaskedIdentity {
  displayName: string;
  /** A label chosen by the project, e.g. "Delivery partner". */
  role: string | null;
  avatarUrl: string | null;
  /** Session-scoped, from VOICE_PROXY_NUMBER_PREFIX; maps to the profile only inside voice. */
  proxyNumber: string;
}

export interface CallBranding {
  brandName: string | null;
  logoUrl: string | null;
  backgroundColor: string | null;
  fontColor: string | null;
  buttonColor: string | null;
}

export interface CallContext {
  reason: string;
  reference: string | null;
  metadata: Record<string, unknown>;
}

/**
 * A call as one participant sees it (signalling, the web client). It carries no profile id of
 * the other side and no contact details. `state` is a CallState value (lower-case, GraphQL
 * prints it upper-case through the registered enum).
 */
export interface CallView {
  id: string;
  state: CallState;
  role: CallRole;
  context: CallContext;
  branding: CallBranding | null;
  self: MaskedIdentity;
  remote: MaskedIdentity;
  timeline: { state: CallState; at: Date }[];
  placedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationSeconds: number | null;
  endReason: CallEndReason | null;
  ringExpiresAt: Date | null;
}
