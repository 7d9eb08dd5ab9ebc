import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { CreateKnownProfiles1763900002000, KnownProfiles, SubgraphModule } from '@boomerang/platform/subgraph';
import { CreateSegments1763900000400 } from './migrations/1763900000400-create-segments.js';
import { ProfileExportReference } from './segments/profile-export.model.js';
import { ProfileExportSegmentsResolver } from './segments/profile-export.resolver.js';
import { ProfileSegmentsResolver } from './segments/profile-segments.resolver.js';
import { SegmentMembershipEntity } from './segments/segment-membership.entity.js';
import { SegmentProfileSync } from './segments/segment-profile-sync.js';
import { SegmentEntity } from './segments/segment.entity.js';
import { SegmentResolver } from './segments/segment.resolver.js';
import { SegmentService } from './segments/segment.service.js';

export const SEGMENTS_ENTITIES = [SegmentEntity, SegmentMembershipEntity];
export const SEGMENTS_MIGRATIONS = [MessagingTables1763900000000, OutboxBatches1763900009000, CreateSegments1763900000400, CreateKnownProfiles1763900002000];

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
  ],
  providers: [KnownProfiles, SegmentService, SegmentResolver, ProfileSegmentsResolver, SegmentProfileSync, ProfileExportSegmentsResolver],
})
export class AppModule {}
