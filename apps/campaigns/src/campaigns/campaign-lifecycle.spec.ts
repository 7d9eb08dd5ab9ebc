import { allowedTransitions, canTransition } from './campaign-lifecycle.js';
import { CampaignStatus } from './campaign.model.js';

const { DRAFT, SCHEDULED, RUNNING, PAUSED, COMPLETED } = CampaignStatus;

describe('campaign lifecycle', () => {
  it.each([
    [DRAFT, SCHEDULED],
    [DRAFT, RUNNING],
    [SCHEDULED, RUNNING],
    [SCHEDULED, PAUSED],
    [SCHEDULED, DRAFT],
    [RUNNING, PAUSED],
    [RUNNING, COMPLETED],
    [PAUSED, RUNNING],
    [PAUSED, COMPLETED],
  ])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    [DRAFT, PAUSED],
    [DRAFT, COMPLETED],
    [DRAFT, DRAFT],
    [RUNNING, DRAFT],
    [RUNNING, SCHEDULED],
    [PAUSED, DRAFT],
    [COMPLETED, RUNNING],
  ])('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('treats COMPLETED as final', () => {
    expect(allowedTransitions(COMPLETED)).toEqual([]);
  });
});
