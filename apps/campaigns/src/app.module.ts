import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { SubgraphModule } from '@boomerang/platform/subgraph';
import { CampaignEntity } from './campaigns/campaign.entity.js';
import { CampaignResolver } from './campaigns/campaign.resolver.js';
import { CampaignService } from './campaigns/campaign.service.js';
import { CreateCampaigns1763900000500 } from './migrations/1763900000500-create-campaigns.js';

export const CAMPAIGNS_ENTITIES = [CampaignEntity];
export const CAMPAIGNS_MIGRATIONS = [MessagingTables1763900000000, OutboxBatches1763900009000, CreateCampaigns1763900000500];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'campaigns',
      defaultPort: 4105,
      entities: CAMPAIGNS_ENTITIES,
      migrations: CAMPAIGNS_MIGRATIONS,
      ownsStream: 'campaigns',
    }),
  ],
  providers: [CampaignService, CampaignResolver],
})
export class AppModule {}
