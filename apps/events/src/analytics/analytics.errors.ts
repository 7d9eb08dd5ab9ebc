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
  constructor(
    readonly analyticsCode: AnalyticsErrorCode,
    message: string,
    field?: string,
  ) {
    super(analyticsCode, kindOf(analyticsCode), message, field);
  }

  /**
   * The same error about a question asked inside a larger input (a cohort's `input.funnel.question`):
   * `input.from` becomes `input.funnel.question.from`. Fields already under `input.<own>` (the
   * nesting input's own fields, e.g. `input.funnel.step`) stay.
   */
  under(root: string, own: string): AnalyticsError {
    const field = this.field;
    if (!field?.startsWith('input.') || field === `input.${own}` || field.startsWith(`input.${own}.`) || field.startsWith(`input.${own}[`)) return this;
    const nested = `${root}${field.slice('input'.length)}`;
    return new AnalyticsError(this.analyticsCode, this.message.startsWith(`${field}:`) ? `${nested}${this.message.slice(field.length)}` : this.message, nested);
  }
}
