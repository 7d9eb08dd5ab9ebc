import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum MediaErrorCode {
  /** The call's media was closed (the call ended); it is not reopened. */
  MediaClosed = 'MEDIA_CLOSED',
  TransportNotFound = 'TRANSPORT_NOT_FOUND',
  ConsumerNotFound = 'CONSUMER_NOT_FOUND',
  UnsupportedKind = 'UNSUPPORTED_KIND',
  CannotConsume = 'CANNOT_CONSUME',
}

function kindOf(code: MediaErrorCode): ErrorKind {
  switch (code) {
    case MediaErrorCode.MediaClosed:
      return 'conflict';
    case MediaErrorCode.TransportNotFound:
    case MediaErrorCode.ConsumerNotFound:
      return 'not-found';
    case MediaErrorCode.UnsupportedKind:
    case MediaErrorCode.CannotConsume:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class MediaError extends DomainError {
  constructor(code: MediaErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
