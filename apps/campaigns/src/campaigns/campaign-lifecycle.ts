import { CampaignStatus } from './campaign.model.js';

/** The statuses a campaign may move to from each status; COMPLETED is final. */
const NEXT: Record<CampaignStatus, readonly CampaignStatus[]> = {
  [CampaignStatus.DRAFT]: [CampaignStatus.SCHEDULED, CampaignStatus.RUNNING],
  [CampaignStatus.SCHEDULED]: [CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.DRAFT],
  [CampaignStatus.RUNNING]: [CampaignStatus.PAUSED, CampaignStatus.COMPLETED],
  [CampaignStatus.PAUSED]: [CampaignStatus.RUNNING, CampaignStatus.COMPLETED],
  [CampaignStatus.COMPLETED]: [],
};

export function canTransition(from: CampaignStatus, to: CampaignStatus): boolean {
  return NEXT[from].includes(to);
}

export function allowedTransitions(from: CampaignStatus): readonly CampaignStatus[] {
  return NEXT[from];
}
