import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum SendingErrorCode {
  InvalidSmtpUrl = 'INVALID_SMTP_URL',
  SmtpRefused = 'SMTP_REFUSED',
  InvalidId = 'INVALID_ID',
  InvalidAddress = 'INVALID_EMAIL_ADDRESS',
  NoSmtpServer = 'NO_SMTP_SERVER',
  SmtpUnavailable = 'SMTP_UNAVAILABLE',
  InvalidRenderData = 'INVALID_RENDER_DATA',
  InvalidFirst = 'INVALID_FIRST',
}

function kindOf(code: SendingErrorCode): ErrorKind {
  switch (code) {
    case SendingErrorCode.InvalidSmtpUrl:
    case SendingErrorCode.SmtpRefused:
    case SendingErrorCode.InvalidId:
    case SendingErrorCode.InvalidAddress:
    case SendingErrorCode.NoSmtpServer:
    case SendingErrorCode.SmtpUnavailable:
    case SendingErrorCode.InvalidRenderData:
    case SendingErrorCode.InvalidFirst:
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
