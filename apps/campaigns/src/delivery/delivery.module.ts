import { Module } from '@nestjs/common';
import { AudienceModule } from '../audience/audience.module.js';
import { ChannelsModule } from '../channels/channels.module.js';
import { ClockModule } from '../clock.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { DeliveryDecisions } from './delivery-decisions.js';
import { LateZones } from './late-zones.js';
import { OccurrenceScheduler } from './occurrence-scheduler.js';
import { QuietRelease } from './quiet-release.js';
import { RunOccurrence } from './run-occurrence.js';

/** Sending a campaign: its occurrences as durable jobs, the fan-out, and the delivery rules every send goes through. */
@Module({
  imports: [AudienceModule, ChannelsModule, ClockModule, JobsModule, SettingsModule],
  providers: [OccurrenceScheduler, RunOccurrence, QuietRelease, LateZones, DeliveryDecisions],
  exports: [OccurrenceScheduler, DeliveryDecisions, LateZones, QuietRelease],
})
export class DeliveryModule {}
