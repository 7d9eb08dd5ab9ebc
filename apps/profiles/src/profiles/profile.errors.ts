import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum ProfileErrorCode {
  ProfileNotFound = 'PROFILE_NOT_FOUND',
  ExternalIdTaken = 'EXTERNAL_ID_TAKEN',
  PropertiesNotAnObject = 'PROPERTIES_NOT_AN_OBJECT',
}

function kindOf(code: ProfileErrorCode): ErrorKind {
  switch (code) {
    case ProfileErrorCode.ProfileNotFound:
      return 'not-found';
    case ProfileErrorCode.ExternalIdTaken:
      return 'conflict';
    case ProfileErrorCode.PropertiesNotAnObject:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class ProfileError extends DomainError {
  constructor(code: ProfileErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
