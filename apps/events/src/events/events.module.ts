import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IngestionModule } from '../ingestion/ingestion.module.js';
import { ProfileSyncModule } from '../profile-sync/profile-sync.module.js';
import { VerificationModule } from '../verification/verification.module.js';
import { EventResolver } from './event.resolver.js';
import { EventService } from './event.service.js';
import { ProfileEventsResolver } from './profile-events.resolver.js';

/** Events through GraphQL: queries, `Profile.events`, and `track`/`identify`/`ingestEvents` through IngestEvents. */
@Module({
  imports: [ClockModule, IngestionModule, VerificationModule, ProfileSyncModule],
  providers: [EventService, EventResolver, ProfileEventsResolver],
})
export class EventsModule {}
