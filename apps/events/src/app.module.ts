import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { SubgraphModule, Clock, KnownProfiles } from '@boomerang/platform/subgraph';
import { CallOutcomesConsumer } from './call-outcomes/call-outcomes.consumer.js';
import { EventEntity } from './events/event.entity.js';
import { EventResolver } from './events/event.resolver.js';
import { EventService } from './events/event.service.js';
import { ProfileEventsResolver } from './events/profile-events.resolver.js';
import { EventAnnouncements } from './ingestion/event-announcements.js';
import { IngestEvents } from './ingestion/ingest-events.use-case.js';
import { ingestConfigProvider } from './ingestion/ingest-config.js';
import { INGEST_HTTP_PROVIDERS } from './ingestion/http/ingest-http.server.js';
import { CreateEvents1763900000300 } from './migrations/1763900000300-create-events.js';
import { PartitionEvents1763900000400 } from './migrations/1763900000400-partition-events.js';
import { CreateProfileLinks1763900000500 } from './migrations/1763900000500-create-profile-links.js';
import { ProfileTimelineLinkedOnly1763900000600 } from './migrations/1763900000600-profile-timeline-linked-only.js';
import { CreateEventAnnouncements1763900000700 } from './migrations/1763900000700-create-event-announcements.js';
import { ProfileLinkVersions1763900000800 } from './migrations/1763900000800-profile-link-versions.js';
import { ProfileLinkRepair1763900000900 } from './migrations/1763900000900-profile-link-repair.js';
import { CreateKnownProfiles1763900002000 } from './migrations/1763900002000-create-known-profiles.js';
import { EventPartitionManager } from './partitions/event-partition.manager.js';
import { EventPartitionsResolver } from './partitions/event-partitions.resolver.js';
import { eventRetentionConfigProvider } from './partitions/event-retention-config.js';
import { EventExport } from './privacy/event-export.js';
import { EventStreamErasure } from './privacy/event-stream-erasure.js';
import { ProfileExportReference } from './privacy/profile-export.model.js';
import { ProfileExportEventsResolver } from './privacy/profile-export.resolver.js';
import { ProfileLinkRepair } from './profile-sync/profile-link-repair.js';
import { ProfileLinks } from './profile-sync/profile-links.js';
import { ProfileSyncConsumers } from './profile-sync/profile-sync.consumers.js';
import { IngestPolicies } from './verification/ingest-policies.js';
import { UserTokenResolver } from './verification/user-token.resolver.js';
import { UserVerification } from './verification/user-verification.js';
import { EventVerified1763900001100 } from './migrations/1763900001100-event-verified.js';
import { ReleaseArchivedMessageIds1763900001300 } from './migrations/1763900001300-release-archived-message-ids.js';

export const EVENTS_ENTITIES = [EventEntity];
export const EVENTS_MIGRATIONS = [
  MessagingTables1763900000000,
  OutboxBatches1763900009000,
  CreateEvents1763900000300,
  PartitionEvents1763900000400,
  CreateProfileLinks1763900000500,
  ProfileTimelineLinkedOnly1763900000600,
  CreateEventAnnouncements1763900000700,
  ProfileLinkVersions1763900000800,
  ProfileLinkRepair1763900000900,
  EventVerified1763900001100,
  ReleaseArchivedMessageIds1763900001300,
  CreateKnownProfiles1763900002000,
];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'events',
      defaultPort: 4103,
      entities: EVENTS_ENTITIES,
      migrations: EVENTS_MIGRATIONS,
      orphanedTypes: [ProfileExportReference],
      ownsStream: 'events',
    }),
  ],
  providers: [
    Clock,
    eventRetentionConfigProvider,
    EventPartitionManager,
    EventPartitionsResolver,
    EventAnnouncements,
    IngestEvents,
    EventService,
    EventResolver,
    ProfileEventsResolver,
    EventExport,
    ProfileExportEventsResolver,
    ingestConfigProvider,
    ...INGEST_HTTP_PROVIDERS,
    IngestPolicies,
    UserVerification,
    UserTokenResolver,
    ProfileLinks,
    ProfileLinkRepair,
    KnownProfiles,
    EventStreamErasure,
    ProfileSyncConsumers,
    CallOutcomesConsumer,
  ],
})
export class AppModule {}
