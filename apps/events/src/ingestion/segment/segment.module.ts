import { Module } from '@nestjs/common';
import { ClockModule } from '../../clock.module.js';
import { VerificationModule } from '../../verification/verification.module.js';
import { IngestionModule } from '../ingestion.module.js';
import { SegmentAdapter } from './segment.adapter.js';

/** Segment's wire format on the ingestion port: `/v1/*` and analytics.js' short paths. */
@Module({
  imports: [ClockModule, IngestionModule, VerificationModule],
  providers: [SegmentAdapter],
  exports: [SegmentAdapter],
})
export class SegmentModule {}
