import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum SignallingErrorCode {
  /** Media is negotiated once the call is answered (the caller may prepare while it rings). */
  MediaNotAvailable = 'MEDIA_NOT_AVAILABLE',
  UnsupportedMediaKind = 'UNSUPPORTED_MEDIA_KIND',
}

function kindOf(code: SignallingErrorCode): ErrorKind {
  switch (code) {
    case SignallingErrorCode.MediaNotAvailable:
      return 'conflict';
    case SignallingErrorCode.UnsupportedMediaKind:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class SignallingError extends DomainError {
  constructor(code: SignallingErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
