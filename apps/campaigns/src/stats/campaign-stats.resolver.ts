import { Args, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { Campaign } from '../campaigns/campaign.model.js';
import { CampaignStatsPeriod, StatsInterval } from './campaign-stats.model.js';
import { CampaignStatsService } from './campaign-stats.service.js';

/** Adds the timeline to Campaign. */
@Resolver(() => Campaign)
export class CampaignTimelineResolver {
  constructor(private readonly stats: CampaignStatsService) {}

  @ResolveField(() => [CampaignStatsPeriod], { description: 'Decisions, engagement and conversions per hour or day (UTC), oldest first; periods without any are left out.' })
  timeline(@Parent() campaign: CampaignEntity, @Args('interval', { type: () => StatsInterval, defaultValue: StatsInterval.DAY }) interval: StatsInterval) {
    return this.stats.timeline(campaign.projectId, campaign.id, interval);
  }
}
