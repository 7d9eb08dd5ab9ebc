import { Module } from '@nestjs/common';
import { AudienceModule } from '../audience/audience.module.js';
import { ProfileExportSegmentsResolver } from './profile-export.resolver.js';
import { ProfileSegmentsResolver } from './profile-segments.resolver.js';
import { SegmentEstimateResolver } from './segment-estimate.resolver.js';
import { SegmentMembersResponder } from './segment-members.responder.js';
import { SegmentProfileSync } from './segment-profile-sync.js';
import { SegmentResolver } from './segment.resolver.js';
import { SegmentService } from './segment.service.js';
import { StaticSegments } from './static-segments.js';

/** Segments, their versions and members: the GraphQL API, the profile sync and the members pages other services fill their projections from (ListSegmentMembers). Imports and the RFM family write STATIC segments through StaticSegments. */
@Module({
  imports: [AudienceModule],
  providers: [SegmentService, StaticSegments, SegmentResolver, SegmentEstimateResolver, ProfileSegmentsResolver, SegmentProfileSync, ProfileExportSegmentsResolver, SegmentMembersResponder],
  exports: [StaticSegments],
})
export class SegmentsModule {}
