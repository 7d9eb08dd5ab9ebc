import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum CallErrorCode {
  CallNotFound = 'CALL_NOT_FOUND',
  CallerIsCallee = 'CALLER_IS_CALLEE',
  InvalidProfileId = 'INVALID_PROFILE_ID',
  InvalidInput = 'INVALID_INPUT',
  IllegalTransition = 'ILLEGAL_TRANSITION',
  NotAParticipant = 'NOT_A_PARTICIPANT',
  RoleNotAllowed = 'ROLE_NOT_ALLOWED',
  InvalidToken = 'INVALID_TOKEN',
}

function kindOf(code: CallErrorCode): ErrorKind {
  switch (code) {
    case CallErrorCode.CallNotFound:
      return 'not-found';
    case CallErrorCode.CallerIsCallee:
    case CallErrorCode.InvalidProfileId:
    case CallErrorCode.InvalidInput:
      return 'invalid-input';
    case CallErrorCode.IllegalTransition:
      return 'conflict';
    case CallErrorCode.NotAParticipant:
    case CallErrorCode.RoleNotAllowed:
      return 'forbidden';
    case CallErrorCode.InvalidToken:
      return 'unauthenticated';
    default:
      return assertUnreachable(code);
  }
}

export class CallError extends DomainError {
  constructor(code: CallErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}

/** The message shape the argument pipe uses, so service-side validation reads the same. */
export const invalidInput = (field: string, rule: string) => new CallError(CallErrorCode.InvalidInput, `Invalid value for ${field}: ${rule}`, field);
