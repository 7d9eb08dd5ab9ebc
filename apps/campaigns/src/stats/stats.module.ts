import { Module } from '@nestjs/common';
import { CampaignStatsService } from './campaign-stats.service.js';
import { GoalConversions } from './goal-conversions.js';

@Module({ providers: [CampaignStatsService, GoalConversions], exports: [CampaignStatsService] })
export class StatsModule {}
