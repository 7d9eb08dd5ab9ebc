import { Module } from '@nestjs/common';
import { AudienceModule } from '../audience/audience.module.js';
import { SegmentsModule } from '../segments/segments.module.js';
import { ProfileRfmResolver } from './profile-rfm.resolver.js';
import { RfmSchedule } from './rfm-schedule.js';
import { RfmScores } from './rfm-scores.js';
import { RfmResolver } from './rfm.resolver.js';
import { RfmService } from './rfm.service.js';

/** The RFM segment family: configuration, scoring over the audience engine's leaf state, the daily run, the GraphQL API. */
@Module({
  imports: [AudienceModule, SegmentsModule],
  providers: [RfmService, RfmScores, RfmSchedule, RfmResolver, ProfileRfmResolver],
})
export class RfmModule {}
