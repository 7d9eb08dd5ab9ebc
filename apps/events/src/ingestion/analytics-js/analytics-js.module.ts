import { Module } from '@nestjs/common';
import { VerificationModule } from '../../verification/verification.module.js';
import { IngestConfigModule } from '../ingest-config.js';
import { AnalyticsJsAdapter } from './analytics-js.adapter.js';

/** What analytics.js fetches from the ingestion port besides the tracking calls: its loader, chunks and settings. */
@Module({
  imports: [IngestConfigModule, VerificationModule],
  providers: [AnalyticsJsAdapter],
  exports: [AnalyticsJsAdapter],
})
export class AnalyticsJsModule {}
