import type { ClientIdentity } from '../presence/connected-clients.js';

/** Who is on the other end of one signalling socket: fixed by its call token at connect. */
export interface SignallingSession {
  readonly projectId: string;
  readonly profileId: string;
  /** One per socket; presence counts a profile connected while any of its sockets is open. */
  readonly connectionId: string;
  readonly identity?: ClientIdentity;
  readonly expiresAt: Date;
}

export interface SignallingContext {
  readonly session: SignallingSession;
}
