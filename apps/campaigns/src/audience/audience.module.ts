import { Module } from '@nestjs/common';
import { KnownProfiles } from '@boomerang/platform/subgraph';
import { JobsModule } from '../jobs/jobs.module.js';
import { CampaignAudience } from './campaign-audience.js';
import { CampaignProfileSync } from './campaign-profile-sync.js';
import { ProfileZones } from './profile-zones.js';
import { SegmentFill } from './segment-fill.js';
import { SegmentMembershipProjection } from './segment-membership-projection.js';

/** Who a campaign can reach: campaigns' projections of profiles and segment memberships (filled once from segments), and the audience query over them. */
@Module({
  imports: [JobsModule],
  providers: [KnownProfiles, CampaignProfileSync, SegmentMembershipProjection, SegmentFill, ProfileZones, CampaignAudience],
  exports: [CampaignAudience, KnownProfiles, SegmentFill, ProfileZones],
})
export class AudienceModule {}
