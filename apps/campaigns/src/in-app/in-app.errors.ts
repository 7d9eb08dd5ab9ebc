import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum InAppErrorCode {
  UserTokenRequired = 'USER_TOKEN_REQUIRED',
  UserTokenInvalid = 'USER_TOKEN_INVALID',
  ProfileIdNotAllowed = 'PROFILE_ID_NOT_ALLOWED',
  RecipientRequired = 'RECIPIENT_REQUIRED',
  UnknownUser = 'UNKNOWN_USER',
}

function kindOf(code: InAppErrorCode): ErrorKind {
  switch (code) {
    case InAppErrorCode.UserTokenRequired:
    case InAppErrorCode.UserTokenInvalid:
      return 'unauthenticated';
    case InAppErrorCode.ProfileIdNotAllowed:
      return 'forbidden';
    case InAppErrorCode.RecipientRequired:
      return 'invalid-input';
    case InAppErrorCode.UnknownUser:
      return 'not-found';
    default:
      return assertUnreachable(code);
  }
}

export class InAppError extends DomainError {
  constructor(code: InAppErrorCode, message: string, field: string) {
    super(code, kindOf(code), message, field);
  }
}
