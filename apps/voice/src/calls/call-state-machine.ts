import { CallError, CallErrorCode } from './call.errors.js';
import { CallState } from './call.model.js';

const TRANSITIONS: ReadonlyMap<CallState, readonly CallState[]> = new Map([
  [CallState.PLACED, [CallState.RINGING, CallState.BUSY, CallState.UNREACHABLE, CallState.CANCELLED, CallState.FAILED]],
  [CallState.RINGING, [CallState.ANSWERED, CallState.DECLINED, CallState.MISSED, CallState.CANCELLED, CallState.FAILED]],
  [CallState.ANSWERED, [CallState.ENDED, CallState.FAILED]],
]);

const label = (state: CallState) => state.toUpperCase();

/** The call lifecycle: which state may follow which. Pure; every state change goes through it. */
export const CallStateMachine = {
  /** States a call may move to from `from` (none for terminal states). */
  next(from: CallState): readonly CallState[] {
    return TRANSITIONS.get(from) ?? [];
  },

  canTransition(from: CallState, to: CallState): boolean {
    return this.next(from).includes(to);
  },

  isTerminal(state: CallState): boolean {
    return !TRANSITIONS.has(state);
  },

  /** Throws ILLEGAL_TRANSITION naming both states when `to` may not follow `from`. */
  assertTransition(from: CallState, to: CallState): void {
    if (!this.canTransition(from, to)) {
      throw new CallError(CallErrorCode.IllegalTransition, `Illegal call transition from ${label(from)} to ${label(to)}`);
    }
  },
};

export const LIVE_STATES: readonly CallState[] = [...TRANSITIONS.keys()];
