import { Module } from '@nestjs/common';
import { AnalyticsJsModule } from '../analytics-js/analytics-js.module.js';
import { CleverTapModule } from '../clevertap/clevertap.module.js';
import { IngestConfigModule } from '../ingest-config.js';
import { SegmentModule } from '../segment/segment.module.js';
import { IngestHttpServer } from './ingest-http.server.js';

/** The ingestion API on INGEST_PORT: IngestHttpServer and the adapter of each wire format it hands requests to. */
@Module({
  imports: [IngestConfigModule, SegmentModule, CleverTapModule, AnalyticsJsModule],
  providers: [IngestHttpServer],
})
export class IngestHttpModule {}
