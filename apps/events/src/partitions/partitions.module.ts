import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { EventPartitionManager } from './event-partition.manager.js';
import { EventPartitionsResolver } from './event-partitions.resolver.js';
import { eventRetentionConfigProvider } from './event-retention-config.js';

/** The `event` table's monthly partitions, kept ahead of time, and retention (EVENT_RETENTION_CONFIG). */
@Module({
  imports: [ClockModule],
  providers: [eventRetentionConfigProvider, EventPartitionManager, EventPartitionsResolver],
})
export class PartitionsModule {}
