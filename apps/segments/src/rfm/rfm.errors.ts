import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum RfmErrorCode {
  NotConfigured = 'RFM_NOT_CONFIGURED',
  InvalidTimeZone = 'INVALID_TIME_ZONE',
  InvalidConfiguration = 'INVALID_RFM_CONFIGURATION',
}

function kindOf(code: RfmErrorCode): ErrorKind {
  switch (code) {
    case RfmErrorCode.NotConfigured:
      return 'not-found';
    case RfmErrorCode.InvalidTimeZone:
    case RfmErrorCode.InvalidConfiguration:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class RfmError extends DomainError {
  constructor(code: RfmErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
