import { Module } from '@nestjs/common';
import { AudienceModule } from '../audience/audience.module.js';
import { ClockModule } from '../clock.module.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { CampaignTriggerResolver } from './campaign-trigger.resolver.js';
import { TriggerEvents } from './trigger-events.js';
import { TriggerFiring } from './trigger-firing.js';

/** Triggered campaigns: what fires them (events, segment entries and exits) and their firings, delivered through the same rules as any send. */
@Module({
  imports: [AudienceModule, ClockModule, DeliveryModule, JobsModule, SettingsModule],
  providers: [TriggerFiring, TriggerEvents, CampaignTriggerResolver],
  exports: [TriggerFiring],
})
export class TriggersModule {}
