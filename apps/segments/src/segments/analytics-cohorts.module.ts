import { Module } from '@nestjs/common';
import { AudienceModule } from '../audience/audience.module.js';
import { AnalyticsCohortResponder } from './analytics-cohort.responder.js';
import { SegmentsModule } from './segments.module.js';

/** Analytics cohorts (events' "profiles as a segment") saved as STATIC segments through StaticSegments. */
@Module({
  imports: [AudienceModule, SegmentsModule],
  providers: [AnalyticsCohortResponder],
})
export class AnalyticsCohortsModule {}
