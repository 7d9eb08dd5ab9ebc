import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { MergingModule } from '../merging/merging.module.js';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { PropertiesModule } from '../properties/properties.module.js';
import { IngestEvents } from './ingest-events.js';
import { IngestedEventsConsumer } from './ingested-events.consumer.js';

/** Profiles kept in step with the events service's EventsIngested (consumer profiles-ingested-events). */
@Module({
  imports: [ClockModule, IdentitiesModule, PropertiesModule, ProfilesModule, MergingModule],
  providers: [IngestEvents, IngestedEventsConsumer],
})
export class IngestionModule {}
