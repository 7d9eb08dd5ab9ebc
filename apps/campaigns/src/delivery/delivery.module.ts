import { Module } from '@nestjs/common';
import { AudienceModule } from '../audience/audience.module.js';
import { ClockModule } from '../clock.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { OccurrenceScheduler } from './occurrence-scheduler.js';
import { RunOccurrence } from './run-occurrence.js';

/** Sending a campaign: its occurrences as durable jobs and the fan-out that decides and requests each send. */
@Module({
  imports: [AudienceModule, ClockModule, JobsModule, SettingsModule],
  providers: [OccurrenceScheduler, RunOccurrence],
  exports: [OccurrenceScheduler],
})
export class DeliveryModule {}
