import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum AnalyticsErrorCode {
  InvalidRetention = 'INVALID_RETENTION',
  InvalidSettings = 'INVALID_ANALYTICS_SETTINGS',
  InvalidFilter = 'INVALID_ANALYTICS_FILTER',
  UnknownSegment = 'ANALYTICS_SEGMENT_NOT_FOUND',
  InvalidQuestion = 'INVALID_ANALYTICS_QUESTION',
}

function kindOf(code: AnalyticsErrorCode): ErrorKind {
  switch (code) {
    case AnalyticsErrorCode.InvalidRetention:
    case AnalyticsErrorCode.InvalidSettings:
    case AnalyticsErrorCode.InvalidFilter:
    case AnalyticsErrorCode.InvalidQuestion:
      return 'invalid-input';
    case AnalyticsErrorCode.UnknownSegment:
      return 'not-found';
    default:
      return assertUnreachable(code);
  }
}

export class AnalyticsError extends DomainError {
  constructor(code: AnalyticsErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
