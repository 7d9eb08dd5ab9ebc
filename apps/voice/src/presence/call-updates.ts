import { Injectable } from '@nestjs/common';
import type { CallView } from '../calls/call-view.js';

export type CallUpdate =
  /** A call's state as the profile sees it, incl. the incoming call (RINGING to the callee). */
  | { kind: 'CALL_STATE'; projectId: string; profileId: string; call: CallView }
  | { kind: 'REMOTE_MEDIA'; projectId: string; profileId: string; callId: string; producerId: string }
  | { kind: 'REMOTE_MUTED'; projectId: string; profileId: string; callId: string; muted: boolean };

export type CallUpdateStream = AsyncIterableIterator<CallUpdate> & { return(): Promise<IteratorResult<CallUpdate>> };

/** Buffer bound per subscriber: a client that stops reading loses its oldest updates, not the process's memory. */
const MAX_BUFFERED = 256;

class Subscription implements AsyncIterableIterator<CallUpdate> {
  private readonly buffered: CallUpdate[] = [];
  private waiting?: (result: IteratorResult<CallUpdate>) => void;
  private closed = false;

  constructor(private readonly onClose: (subscription: Subscription) => void) {}

  push(update: CallUpdate): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: update, done: false });
      return;
    }
    this.buffered.push(update);
    if (this.buffered.length > MAX_BUFFERED) this.buffered.shift();
  }

  next(): Promise<IteratorResult<CallUpdate>> {
    const update = this.buffered.shift();
    if (update) return Promise.resolve({ value: update, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<CallUpdate>> {
    if (!this.closed) {
      this.closed = true;
      this.buffered.length = 0;
      this.onClose(this);
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The in-process bus of call updates: CallService publishes state changes to both participants,
 * signalling publishes media signals, and each connected client subscribes to its own profile.
 */
@Injectable()
export class CallUpdates {
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private readonly terminalListeners = new Set<(projectId: string, callId: string) => void>();

  publish(update: CallUpdate): void {
    for (const subscription of this.subscriptions.get(keyOf(update.projectId, update.profileId)) ?? []) subscription.push(update);
  }

  subscribe(projectId: string, profileId: string): CallUpdateStream {
    const key = keyOf(projectId, profileId);
    const subscription = new Subscription((closed) => {
      const set = this.subscriptions.get(key);
      set?.delete(closed);
      if (set?.size === 0) this.subscriptions.delete(key);
    });
    const set = this.subscriptions.get(key) ?? new Set<Subscription>();
    set.add(subscription);
    this.subscriptions.set(key, set);
    return subscription;
  }

  /** Called once per call when it reaches a terminal state (media closes its room here). */
  onTerminal(listener: (projectId: string, callId: string) => void): () => void {
    this.terminalListeners.add(listener);
    return () => this.terminalListeners.delete(listener);
  }

  /** CallService announces a call that reached a terminal state; a failing listener does not stop the others. */
  announceTerminal(projectId: string, callId: string): void {
    for (const listener of [...this.terminalListeners]) {
      try {
        listener(projectId, callId);
      } catch {
        // A listener's failure is its own to log; the call is over either way.
      }
    }
  }
}

const keyOf = (projectId: string, profileId: string) => `${projectId}/${profileId}`;
