import { Module } from '@nestjs/common';
import { ClockModule } from '../../clock.module.js';
import { VerificationModule } from '../../verification/verification.module.js';
import { IngestionModule } from '../ingestion.module.js';
import { CleverTapAdapter } from './clevertap.adapter.js';

/** CleverTap's server upload API on the ingestion port: `/1/upload`. */
@Module({
  imports: [ClockModule, IngestionModule, VerificationModule],
  providers: [CleverTapAdapter],
  exports: [CleverTapAdapter],
})
export class CleverTapModule {}
