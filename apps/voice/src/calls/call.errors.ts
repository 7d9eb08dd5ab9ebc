import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum CallErrorCode {
  CallNotFound = 'CALL_NOT_FOUND',
  CallerIsCallee = 'CALLER_IS_CALLEE',
  InvalidProfileId = 'INVALID_PROFILE_ID',
}

function kindOf(code: CallErrorCode): ErrorKind {
  switch (code) {
    case CallErrorCode.CallNotFound:
      return 'not-found';
    case CallErrorCode.CallerIsCallee:
    case CallErrorCode.InvalidProfileId:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class CallError extends DomainError {
  constructor(code: CallErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
