import { Module } from '@nestjs/common';
import { KnownProfiles } from '@boomerang/platform/subgraph';
import { CampaignAudience } from './campaign-audience.js';
import { CampaignProfileSync } from './campaign-profile-sync.js';
import { SegmentMembershipProjection } from './segment-membership-projection.js';

/** Who a campaign can reach: campaigns' projections of profiles and segment memberships, and the audience query over them. */
@Module({
  providers: [KnownProfiles, CampaignProfileSync, SegmentMembershipProjection, CampaignAudience],
  exports: [CampaignAudience, KnownProfiles],
})
export class AudienceModule {}
