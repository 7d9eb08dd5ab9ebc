import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum SuppressionErrorCode {
  InvalidAddress = 'INVALID_EMAIL_ADDRESS',
}

function kindOf(code: SuppressionErrorCode): ErrorKind {
  switch (code) {
    case SuppressionErrorCode.InvalidAddress:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class SuppressionError extends DomainError {
  constructor(code: SuppressionErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
