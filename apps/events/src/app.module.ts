import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { CreateKnownProfiles1763900002000, SubgraphModule } from '@boomerang/platform/subgraph';
import { AnalyticsModule } from './analytics/analytics.module.js';
import { BehaviourModule } from './analytics/behaviour.module.js';
import { CallOutcomesModule } from './call-outcomes/call-outcomes.module.js';
import { EmailEngagementModule } from './email-engagement/email-engagement.module.js';
import { EventEntity } from './events/event.entity.js';
import { EventsModule } from './events/events.module.js';
import { IngestHttpModule } from './ingestion/http/ingest-http.module.js';
import { IngestionModule } from './ingestion/ingestion.module.js';
import { CreateEvents1763900000300 } from './migrations/1763900000300-create-events.js';
import { PartitionEvents1763900000400 } from './migrations/1763900000400-partition-events.js';
import { CreateProfileLinks1763900000500 } from './migrations/1763900000500-create-profile-links.js';
import { ProfileTimelineLinkedOnly1763900000600 } from './migrations/1763900000600-profile-timeline-linked-only.js';
import { CreateEventAnnouncements1763900000700 } from './migrations/1763900000700-create-event-announcements.js';
import { ProfileLinkVersions1763900000800 } from './migrations/1763900000800-profile-link-versions.js';
import { ProfileLinkRepair1763900000900 } from './migrations/1763900000900-profile-link-repair.js';
import { EventVerified1763900001100 } from './migrations/1763900001100-event-verified.js';
import { ReleaseArchivedMessageIds1763900001300 } from './migrations/1763900001300-release-archived-message-ids.js';
import { AnalyticsRollups1763900001500 } from './migrations/1763900001500-analytics-rollups.js';
import { AnalyticsDayIndexes1763900006000 } from './migrations/1763900006000-analytics-day-indexes.js';
import { EventProfileNameTimeline1763900006010 } from './migrations/1763900006010-event-profile-name-timeline.js';
import { AnalyticsStepTimes1763900007000 } from './migrations/1763900007000-analytics-step-times.js';
import { AnalyticsProfiles1763900005010 } from './migrations/1763900005010-analytics-profiles.js';
import { AnalyticsRebuilds1763900005020 } from './migrations/1763900005020-analytics-rebuilds.js';
import { AnalyticsProfileBackfill1763900007100 } from './migrations/1763900007100-analytics-profile-backfill.js';
import { AnalyticsUnlinkedIds1763900007110 } from './migrations/1763900007110-analytics-unlinked-ids.js';
import { AnalyticsProfileDays1763900011500 } from './migrations/1763900011500-analytics-profile-days.js';
import { AnalyticsEventTimes1763900012000 } from './migrations/1763900012000-analytics-event-times.js';
import { AnalyticsDayTimesDropped1763900012100 } from './migrations/1763900012100-analytics-day-times-dropped.js';
import { AnalyticsEventTimesByMonth1763900012200 } from './migrations/1763900012200-analytics-event-times-by-month.js';
import { AnalyticsFoldWrites1763900012300 } from './migrations/1763900012300-analytics-fold-writes.js';
import { AnalyticsEventFirstLastTime1763900012400 } from './migrations/1763900012400-analytics-event-first-last-time.js';
import { PartitionsModule } from './partitions/partitions.module.js';
import { PrivacyModule } from './privacy/privacy.module.js';
import { ProfileExportReference } from './privacy/profile-export.model.js';
import { ProfileSyncModule } from './profile-sync/profile-sync.module.js';
import { SegmentBackfillModule } from './segment-backfill/segment-backfill.module.js';
import { VerificationModule } from './verification/verification.module.js';

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
  AnalyticsRollups1763900001500,
  AnalyticsProfiles1763900005010,
  AnalyticsRebuilds1763900005020,
  CreateKnownProfiles1763900002000,
  AnalyticsDayIndexes1763900006000,
  EventProfileNameTimeline1763900006010,
  AnalyticsStepTimes1763900007000,
  AnalyticsProfileBackfill1763900007100,
  AnalyticsUnlinkedIds1763900007110,
  AnalyticsProfileDays1763900011500,
  AnalyticsEventTimes1763900012000,
  AnalyticsDayTimesDropped1763900012100,
  AnalyticsEventTimesByMonth1763900012200,
  AnalyticsFoldWrites1763900012300,
  AnalyticsEventFirstLastTime1763900012400,
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
    ProfileSyncModule,
    // Listed before the ingestion API, so this month's and the next months' partitions exist before it listens.
    PartitionsModule,
    IngestionModule,
    VerificationModule,
    EventsModule,
    IngestHttpModule,
    PrivacyModule,
    CallOutcomesModule,
    EmailEngagementModule,
    SegmentBackfillModule,
    AnalyticsModule,
    BehaviourModule,
  ],
})
export class AppModule {}
