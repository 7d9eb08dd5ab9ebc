import { Module } from '@nestjs/common';
import { ProfileSyncModule } from '../profile-sync/profile-sync.module.js';
import { EventAnnouncements } from './event-announcements.js';
import { IngestEvents } from './ingest-events.use-case.js';

/** The one write path every door shares: IngestEvents, and EventAnnouncements publishing what it committed. */
@Module({
  imports: [ProfileSyncModule],
  providers: [IngestEvents, EventAnnouncements],
  exports: [IngestEvents],
})
export class IngestionModule {}
