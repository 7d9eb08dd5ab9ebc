import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum EmailTemplateErrorCode {
  TemplateNotFound = 'EMAIL_TEMPLATE_NOT_FOUND',
  VersionNotFound = 'EMAIL_TEMPLATE_VERSION_NOT_FOUND',
  ProfileNotFound = 'EMAIL_PROFILE_NOT_FOUND',
  TemplateDoesNotCompile = 'EMAIL_TEMPLATE_DOES_NOT_COMPILE',
  InvalidPromotion = 'INVALID_GMAIL_PROMOTION',
  RequiredField = 'REQUIRED_FIELD',
  InvalidRenderData = 'INVALID_RENDER_DATA',
  RenderFailed = 'EMAIL_TEMPLATE_RENDER_FAILED',
}

function kindOf(code: EmailTemplateErrorCode): ErrorKind {
  switch (code) {
    case EmailTemplateErrorCode.TemplateNotFound:
    case EmailTemplateErrorCode.VersionNotFound:
    case EmailTemplateErrorCode.ProfileNotFound:
      return 'not-found';
    case EmailTemplateErrorCode.TemplateDoesNotCompile:
    case EmailTemplateErrorCode.InvalidPromotion:
    case EmailTemplateErrorCode.RequiredField:
    case EmailTemplateErrorCode.InvalidRenderData:
    case EmailTemplateErrorCode.RenderFailed:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class EmailTemplateError extends DomainError {
  constructor(code: EmailTemplateErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
