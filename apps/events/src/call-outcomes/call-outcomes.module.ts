import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IngestionModule } from '../ingestion/ingestion.module.js';
import { CallOutcomesConsumer } from './call-outcomes.consumer.js';

/** Voice's call outcomes recorded as `track` events (consumer events-call-outcomes). */
@Module({
  imports: [ClockModule, IngestionModule],
  providers: [CallOutcomesConsumer],
})
export class CallOutcomesModule {}
