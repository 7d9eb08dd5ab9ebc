import { Module } from '@nestjs/common';
import { CampaignResolver } from './campaign.resolver.js';
import { CampaignService } from './campaign.service.js';

@Module({ providers: [CampaignService, CampaignResolver], exports: [CampaignService] })
export class CampaignsModule {}
