import { Module } from '@nestjs/common';
import { AudienceModule } from '../audience/audience.module.js';
import { ClockModule } from '../clock.module.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { SchedulesModule } from '../schedules/schedules.module.js';
import { StatsModule } from '../stats/stats.module.js';
import { TriggersModule } from '../triggers/triggers.module.js';
import { VariantsModule } from '../variants/variants.module.js';
import { CampaignResolver } from './campaign.resolver.js';
import { CampaignService } from './campaign.service.js';

@Module({ imports: [AudienceModule, ClockModule, DeliveryModule, SchedulesModule, StatsModule, TriggersModule, VariantsModule], providers: [CampaignService, CampaignResolver], exports: [CampaignService] })
export class CampaignsModule {}
