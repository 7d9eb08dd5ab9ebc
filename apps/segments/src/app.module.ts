import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { CreateKnownProfiles1763900002000, SubgraphModule } from '@boomerang/platform/subgraph';
import { ImportsModule } from './imports/imports.module.js';
import { CreateSegments1763900000400 } from './migrations/1763900000400-create-segments.js';
import { AudienceEngine1763900001500 } from './migrations/1763900001500-audience-engine.js';
import { LeafStateMatched1763900001800 } from './migrations/1763900001800-leaf-state-matched.js';
import { LeafStateUnkeyedLeaf1763900009500 } from './migrations/1763900009500-leaf-state-unkeyed-leaf.js';
import { SegmentMembersFromScan1763900009600 } from './migrations/1763900009600-segment-members-from-scan.js';
import { SegmentEntriesPending1763900009610 } from './migrations/1763900009610-segment-entries-pending.js';
import { SegmentMembershipUnkeyedSegment1763900009620 } from './migrations/1763900009620-segment-membership-unkeyed-segment.js';
import { DropPendingEvents1763900009630 } from './migrations/1763900009630-drop-pending-events.js';
import { SegmentFillEvents1763900011310 } from './migrations/1763900011310-segment-fill-events.js';
import { KnownProfileForgotten1763900011410 } from './migrations/1763900011410-known-profile-forgotten.js';
import { SegmentMembershipBySegment1763900012300 } from './migrations/1763900012300-segment-membership-by-segment.js';
import { SegmentImports1763900001600 } from './migrations/1763900001600-segment-imports.js';
import { Rfm1763900001700 } from './migrations/1763900001700-rfm.js';
import { RfmModule } from './rfm/rfm.module.js';
import { ProfileExportReference } from './segments/profile-export.model.js';
import { SegmentMembershipEntity } from './segments/segment-membership.entity.js';
import { SegmentEntity } from './segments/segment.entity.js';
import { AnalyticsCohortsModule } from './segments/analytics-cohorts.module.js';
import { SegmentsModule } from './segments/segments.module.js';

export const SEGMENTS_ENTITIES = [SegmentEntity, SegmentMembershipEntity];
export const SEGMENTS_MIGRATIONS = [
  MessagingTables1763900000000,
  OutboxBatches1763900009000,
  CreateSegments1763900000400,
  CreateKnownProfiles1763900002000,
  AudienceEngine1763900001500,
  SegmentImports1763900001600,
  Rfm1763900001700,
  LeafStateMatched1763900001800,
  LeafStateUnkeyedLeaf1763900009500,
  SegmentMembersFromScan1763900009600,
  SegmentEntriesPending1763900009610,
  SegmentMembershipUnkeyedSegment1763900009620,
  DropPendingEvents1763900009630,
  SegmentFillEvents1763900011310,
  KnownProfileForgotten1763900011410,
  SegmentMembershipBySegment1763900012300,
];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'segments',
      defaultPort: 4104,
      entities: SEGMENTS_ENTITIES,
      migrations: SEGMENTS_MIGRATIONS,
      ownsStream: 'segments',
      orphanedTypes: [ProfileExportReference],
    }),
    SegmentsModule,
    AnalyticsCohortsModule,
    ImportsModule,
    RfmModule,
  ],
})
export class AppModule {}
