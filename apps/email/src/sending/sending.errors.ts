import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum SendingErrorCode {
  InvalidSmtpUrl = 'INVALID_SMTP_URL',
  SmtpRefused = 'SMTP_REFUSED',
  InvalidId = 'INVALID_ID',
}

function kindOf(code: SendingErrorCode): ErrorKind {
  switch (code) {
    case SendingErrorCode.InvalidSmtpUrl:
    case SendingErrorCode.SmtpRefused:
    case SendingErrorCode.InvalidId:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class SendingError extends DomainError {
  constructor(code: SendingErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
