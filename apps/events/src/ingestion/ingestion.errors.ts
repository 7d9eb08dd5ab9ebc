import { assertUnreachable } from '@boomerang/platform/subgraph';

export enum IngestionErrorCode {
  InvalidRequest = 'INVALID_REQUEST',
  TooLarge = 'TOO_LARGE',
  Unauthenticated = 'UNAUTHENTICATED',
  NotFound = 'NOT_FOUND',
  Unavailable = 'UNAVAILABLE',
}

function statusOf(code: IngestionErrorCode): number {
  switch (code) {
    case IngestionErrorCode.InvalidRequest:
    case IngestionErrorCode.TooLarge:
      // The tracking API answers every rejected payload with 400, so SDKs drop it instead of retrying.
      return 400;
    case IngestionErrorCode.Unauthenticated:
      return 401;
    case IngestionErrorCode.NotFound:
      return 404;
    case IngestionErrorCode.Unavailable:
      return 503;
    default:
      return assertUnreachable(code);
  }
}

/** A refused ingestion request: the HTTP status, and the field and rule it broke (worded per wire format by `refuse`). */
export class IngestionError extends Error {
  readonly status: number;

  constructor(
    readonly code: IngestionErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'IngestionError';
    this.status = statusOf(code);
  }
}
