import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum EventErrorCode {
  EventNotFound = 'EVENT_NOT_FOUND',
  InvalidEvent = 'INVALID_EVENT',
}

function kindOf(code: EventErrorCode): ErrorKind {
  switch (code) {
    case EventErrorCode.EventNotFound:
      return 'not-found';
    case EventErrorCode.InvalidEvent:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class EventError extends DomainError {
  constructor(code: EventErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
