import { Module } from '@nestjs/common';
import { Suppressions } from './suppressions.js';

/** The project's suppression list (hard bounces, complaints, unsubscribes, manual entries). */
@Module({
  providers: [Suppressions],
  exports: [Suppressions],
})
export class SuppressionsModule {}
