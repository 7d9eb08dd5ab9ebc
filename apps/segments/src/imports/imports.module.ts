import { Module } from '@nestjs/common';
import { configProvider } from '@boomerang/platform/config';
import { SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { AudienceModule } from '../audience/audience.module.js';
import { SegmentsModule } from '../segments/segments.module.js';
import { ImportTokens } from './import-token.js';
import { SEGMENT_IMPORTS_CONFIG, segmentImportsEnv } from './imports-config.js';
import { RunSegmentImport } from './run-segment-import.js';
import { SegmentImportUploadController } from './segment-import-upload.controller.js';
import { SegmentImportResolver } from './segment-import.resolver.js';
import { SegmentImportService } from './segment-import.service.js';
import { SegmentImports } from './segment-imports.repository.js';

/** Imports of cohort files (CSV, Mixpanel, Amplitude) into static segments: the API, the upload route and the streamed runner. */
@Module({
  imports: [AudienceModule, SegmentsModule],
  controllers: [SegmentImportUploadController],
  providers: [
    configProvider(SEGMENT_IMPORTS_CONFIG, segmentImportsEnv),
    { provide: ImportTokens, useFactory: (config: SubgraphConfig) => new ImportTokens(config.INTERNAL_SIGNING_SECRET), inject: [SUBGRAPH_CONFIG] },
    SegmentImports,
    RunSegmentImport,
    SegmentImportService,
    SegmentImportResolver,
  ],
})
export class ImportsModule {}
