import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IngestionModule } from '../ingestion/ingestion.module.js';
import { ProfileSyncModule } from '../profile-sync/profile-sync.module.js';
import { EmailEngagementConsumer } from './email-engagement.consumer.js';

/** Email's engagement reports recorded as `track` events, unsubscribes as email consent (consumer events-email-engagement). */
@Module({
  imports: [ClockModule, IngestionModule, ProfileSyncModule],
  providers: [EmailEngagementConsumer],
})
export class EmailEngagementModule {}
