import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum UserVerificationErrorCode {
  /** The user token is malformed, expired or not this project's. */
  UserTokenInvalid = 'USER_TOKEN_INVALID',
  /** A valid user token sent with a call for another user id. */
  UserTokenForAnotherUser = 'USER_TOKEN_FOR_ANOTHER_USER',
  /** The project requires a user token for publishable-key calls that name a user id. */
  UserVerificationRequired = 'USER_VERIFICATION_REQUIRED',
  /** A publishable key named a profile id (only userId / anonymousId, which a token can prove, are open to it). */
  ProfileIdNotAllowed = 'PROFILE_ID_NOT_ALLOWED',
  /** createUserToken got a user id or lifetime out of range. */
  InvalidTokenRequest = 'INVALID_TOKEN_REQUEST',
}

function kindOf(code: UserVerificationErrorCode): ErrorKind {
  switch (code) {
    case UserVerificationErrorCode.UserTokenInvalid:
      return 'unauthenticated';
    case UserVerificationErrorCode.UserTokenForAnotherUser:
    case UserVerificationErrorCode.UserVerificationRequired:
    case UserVerificationErrorCode.ProfileIdNotAllowed:
      return 'forbidden';
    case UserVerificationErrorCode.InvalidTokenRequest:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class UserVerificationError extends DomainError {
  constructor(code: UserVerificationErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
