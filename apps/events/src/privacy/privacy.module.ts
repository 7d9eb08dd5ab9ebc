import { Module } from '@nestjs/common';
import { ProfileSyncModule } from '../profile-sync/profile-sync.module.js';
import { EventExport } from './event-export.js';
import { EventStreamErasure } from './event-stream-erasure.js';
import { ProfileErasureConsumer } from './profile-erasure.consumer.js';
import { ProfileExportEventsResolver } from './profile-export.resolver.js';

/** GDPR: a profile's events in its export, and their erasure from the tables and the EVENTS stream. */
@Module({
  imports: [ProfileSyncModule],
  providers: [EventExport, ProfileExportEventsResolver, EventStreamErasure, ProfileErasureConsumer],
})
export class PrivacyModule {}
