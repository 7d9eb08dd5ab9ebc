import { Module } from '@nestjs/common';
import { CampaignStatsService } from './campaign-stats.service.js';

@Module({ providers: [CampaignStatsService], exports: [CampaignStatsService] })
export class StatsModule {}
