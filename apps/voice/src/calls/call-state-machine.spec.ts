import { CallStateMachine, LIVE_STATES } from './call-state-machine.js';
import { CallError } from './call.errors.js';
import { CallState } from './call.model.js';

const S = CallState;
const LEGAL: [CallState, CallState][] = [
  [S.PLACED, S.RINGING],
  [S.PLACED, S.BUSY],
  [S.PLACED, S.UNREACHABLE],
  [S.PLACED, S.CANCELLED],
  [S.PLACED, S.FAILED],
  [S.RINGING, S.ANSWERED],
  [S.RINGING, S.DECLINED],
  [S.RINGING, S.MISSED],
  [S.RINGING, S.CANCELLED],
  [S.RINGING, S.FAILED],
  [S.ANSWERED, S.ENDED],
  [S.ANSWERED, S.FAILED],
];
const ALL = Object.values(CallState);
const isLegal = (from: CallState, to: CallState) => LEGAL.some(([f, t]) => f === from && t === to);

describe('CallStateMachine', () => {
  it.each(LEGAL)('allows %s → %s', (from, to) => {
    expect(CallStateMachine.canTransition(from, to)).toBe(true);
    expect(() => CallStateMachine.assertTransition(from, to)).not.toThrow();
  });

  const illegal = ALL.flatMap((from) => ALL.map((to) => [from, to] as [CallState, CallState])).filter(([from, to]) => !isLegal(from, to));

  it('refuses every other pair, naming from and to', () => {
    expect(illegal).toHaveLength(ALL.length * ALL.length - LEGAL.length);
    for (const [from, to] of illegal) {
      expect(CallStateMachine.canTransition(from, to)).toBe(false);
      let error: unknown;
      try {
        CallStateMachine.assertTransition(from, to);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(CallError);
      expect(error).toMatchObject({
        code: 'ILLEGAL_TRANSITION',
        kind: 'conflict',
        message: `Illegal call transition from ${from.toUpperCase()} to ${to.toUpperCase()}`,
      });
    }
  });

  it('treats exactly PLACED, RINGING and ANSWERED as live', () => {
    expect([...LIVE_STATES].sort()).toEqual([S.ANSWERED, S.PLACED, S.RINGING].sort());
    for (const state of ALL) expect(CallStateMachine.isTerminal(state)).toBe(!LIVE_STATES.includes(state));
    expect(CallStateMachine.next(S.ENDED)).toEqual([]);
  });
});
