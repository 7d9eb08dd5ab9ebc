import { Module } from '@nestjs/common';
import { AudienceModule } from '../audience/audience.module.js';
import { ProfileExportSegmentsResolver } from './profile-export.resolver.js';
import { ProfileSegmentsResolver } from './profile-segments.resolver.js';
import { SegmentProfileSync } from './segment-profile-sync.js';
import { SegmentResolver } from './segment.resolver.js';
import { SegmentService } from './segment.service.js';

/** Segments, their versions and members: the GraphQL API and the profile sync. */
@Module({
  imports: [AudienceModule],
  providers: [SegmentService, SegmentResolver, ProfileSegmentsResolver, SegmentProfileSync, ProfileExportSegmentsResolver],
})
export class SegmentsModule {}
