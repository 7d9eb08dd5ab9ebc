import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum ProfileErrorCode {
  ProfileNotFound = 'PROFILE_NOT_FOUND',
  ExternalIdTaken = 'EXTERNAL_ID_TAKEN',
  IdentityTaken = 'IDENTITY_TAKEN',
  PropertiesNotAnObject = 'PROPERTIES_NOT_AN_OBJECT',
  /** The identities belong to profiles of different users: joining them would be a guess. */
  IdentityConflict = 'IDENTITY_CONFLICT',
  NoIdentity = 'NO_IDENTITY',
  MergeIntoItself = 'MERGE_INTO_ITSELF',
  /** A property value that does not fit the type the property already has. */
  PropertyTypeMismatch = 'PROPERTY_TYPE_MISMATCH',
  /** A property condition that names an unknown property, or a comparison or value its type does not have. */
  InvalidPropertyFilter = 'INVALID_PROPERTY_FILTER',
}

function kindOf(code: ProfileErrorCode): ErrorKind {
  switch (code) {
    case ProfileErrorCode.ProfileNotFound:
      return 'not-found';
    case ProfileErrorCode.ExternalIdTaken:
    case ProfileErrorCode.IdentityTaken:
    case ProfileErrorCode.IdentityConflict:
      return 'conflict';
    case ProfileErrorCode.PropertiesNotAnObject:
    case ProfileErrorCode.NoIdentity:
    case ProfileErrorCode.MergeIntoItself:
    case ProfileErrorCode.PropertyTypeMismatch:
    case ProfileErrorCode.InvalidPropertyFilter:
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
