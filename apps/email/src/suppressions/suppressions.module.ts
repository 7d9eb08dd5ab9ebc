import { Module } from '@nestjs/common';
import { SuppressionResolver } from './suppression.resolver.js';
import { Suppressions } from './suppressions.js';

/** The project's suppression list (hard bounces, complaints, unsubscribes, manual entries) and its GraphQL. */
@Module({
  providers: [Suppressions, SuppressionResolver],
  exports: [Suppressions],
})
export class SuppressionsModule {}
