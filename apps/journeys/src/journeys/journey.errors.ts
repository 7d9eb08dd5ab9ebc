import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum JourneyErrorCode {
  JourneyNotFound = 'JOURNEY_NOT_FOUND',
  InvalidGraph = 'INVALID_JOURNEY_GRAPH',
}

function kindOf(code: JourneyErrorCode): ErrorKind {
  switch (code) {
    case JourneyErrorCode.JourneyNotFound:
      return 'not-found';
    case JourneyErrorCode.InvalidGraph:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class JourneyError extends DomainError {
  constructor(code: JourneyErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
