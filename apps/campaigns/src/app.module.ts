import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { CreateKnownProfiles1763900002000, SubgraphModule } from '@boomerang/platform/subgraph';
import { CampaignEntity } from './campaigns/campaign.entity.js';
import { CampaignsModule } from './campaigns/campaigns.module.js';
import { ChannelsModule } from './channels/channels.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { CreateCampaigns1763900000500 } from './migrations/1763900000500-create-campaigns.js';
import { CampaignDelivery1763900002200 } from './migrations/1763900002200-campaign-delivery.js';
import { CampaignGoals1763900002300 } from './migrations/1763900002300-campaign-goals.js';
import { SegmentFillAndTriggers1763900003000 } from './migrations/1763900003000-segment-fill-and-triggers.js';
import { TriggerEventNames1763900003010 } from './migrations/1763900003010-trigger-event-names.js';
import { CampaignVariants1763900003020 } from './migrations/1763900003020-campaign-variants.js';
import { ProfileZones1763900003030 } from './migrations/1763900003030-profile-zones.js';
import { DayRules1763900003040 } from './migrations/1763900003040-day-rules.js';
import { CampaignChannels1763900004000 } from './migrations/1763900004000-campaign-channels.js';
import { QuietDeferrals1763900004100 } from './migrations/1763900004100-quiet-deferrals.js';
import { OccurrenceSeries1763900004200 } from './migrations/1763900004200-occurrence-series.js';
import { TriggerFireOccurrence1763900004300 } from './migrations/1763900004300-trigger-fire-occurrence.js';
import { CampaignsProfileReference } from './messages/profile-message.model.js';
import { MessagesModule } from './messages/messages.module.js';
import { SettingsModule } from './settings/settings.module.js';

export const CAMPAIGNS_ENTITIES = [CampaignEntity];
export const CAMPAIGNS_MIGRATIONS = [MessagingTables1763900000000, OutboxBatches1763900009000, CreateCampaigns1763900000500, CreateKnownProfiles1763900002000, CampaignDelivery1763900002200, CampaignGoals1763900002300, SegmentFillAndTriggers1763900003000, TriggerEventNames1763900003010, CampaignVariants1763900003020, ProfileZones1763900003030, DayRules1763900003040, CampaignChannels1763900004000, QuietDeferrals1763900004100, OccurrenceSeries1763900004200, TriggerFireOccurrence1763900004300];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'campaigns',
      defaultPort: 4105,
      entities: CAMPAIGNS_ENTITIES,
      migrations: CAMPAIGNS_MIGRATIONS,
      ownsStream: 'campaigns',
      // Profile is only extended here (Profile.messages), never returned by a campaigns field.
      orphanedTypes: [CampaignsProfileReference],
    }),
    JobsModule,
    CampaignsModule,
    SettingsModule,
    ChannelsModule,
    MessagesModule,
  ],
})
export class AppModule {}
