import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum WorkspaceErrorCode {
  ProjectNotFound = 'PROJECT_NOT_FOUND',
  ApiKeyNotFound = 'API_KEY_NOT_FOUND',
  ApiKeyAlreadyRevoked = 'API_KEY_ALREADY_REVOKED',
}

function kindOf(code: WorkspaceErrorCode): ErrorKind {
  switch (code) {
    case WorkspaceErrorCode.ProjectNotFound:
    case WorkspaceErrorCode.ApiKeyNotFound:
      return 'not-found';
    case WorkspaceErrorCode.ApiKeyAlreadyRevoked:
      return 'conflict';
    default:
      return assertUnreachable(code);
  }
}

export class WorkspaceError extends DomainError {
  constructor(code: WorkspaceErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
