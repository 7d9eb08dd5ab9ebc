import { Module } from '@nestjs/common';
import { CampaignTimelineResolver } from './campaign-stats.resolver.js';
import { CampaignStatsService } from './campaign-stats.service.js';
import { EngagementEvents } from './engagement-events.js';
import { EngagementLedger } from './engagement-ledger.js';
import { GoalConversions } from './goal-conversions.js';

@Module({ providers: [CampaignStatsService, CampaignTimelineResolver, GoalConversions, EngagementLedger, EngagementEvents], exports: [CampaignStatsService, EngagementLedger] })
export class StatsModule {}
