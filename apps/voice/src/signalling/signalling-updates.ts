import { Injectable } from '@nestjs/common';
import { CallUpdates, type CallUpdate } from '../presence/call-updates.js';
import type { SignallingSession } from './signalling-session.js';
import { presentCall } from './call-presenter.js';

/** The `callUpdates` stream of one socket: its profile's updates, shaped for the signalling schema. */
@Injectable()
export class SignallingUpdates {
  constructor(private readonly updates: CallUpdates) {}

  stream(session: SignallingSession): AsyncIterableIterator<unknown> {
    const source = this.updates.subscribe(session.projectId, session.profileId);
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        const result = await source.next();
        return result.done ? result : { done: false, value: present(result.value) };
      },
      return: () => source.return(),
      throw: (error: unknown) => source.return().then(() => Promise.reject(error)),
    };
  }
}

/** Only the fields the schema names leave the server; the recipient's profile id stays here. */
function present(update: CallUpdate): Record<string, unknown> {
  switch (update.kind) {
    case 'CALL_STATE':
      return { kind: update.kind, call: presentCall(update.call) };
    case 'REMOTE_MEDIA':
      return { kind: update.kind, callId: update.callId, producerId: update.producerId };
    case 'REMOTE_MUTED':
      return { kind: update.kind, callId: update.callId, muted: update.muted };
  }
}
