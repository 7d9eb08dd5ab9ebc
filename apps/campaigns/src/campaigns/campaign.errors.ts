import { assertUnreachable, DomainError, type ErrorKind } from '@boomerang/platform/subgraph';

export enum CampaignErrorCode {
  CampaignNotFound = 'CAMPAIGN_NOT_FOUND',
  IllegalStatusTransition = 'ILLEGAL_STATUS_TRANSITION',
  InvalidDefinition = 'INVALID_CAMPAIGN',
  IncompleteCampaign = 'INCOMPLETE_CAMPAIGN',
}

function kindOf(code: CampaignErrorCode): ErrorKind {
  switch (code) {
    case CampaignErrorCode.CampaignNotFound:
      return 'not-found';
    case CampaignErrorCode.IllegalStatusTransition:
    case CampaignErrorCode.IncompleteCampaign:
      return 'conflict';
    case CampaignErrorCode.InvalidDefinition:
      return 'invalid-input';
    default:
      return assertUnreachable(code);
  }
}

export class CampaignError extends DomainError {
  constructor(code: CampaignErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}
