import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { ProfileSyncModule } from '../profile-sync/profile-sync.module.js';
import { AnalyticsFilters } from './analytics-filter.js';
import { AnalyticsProfileBackfill } from './analytics-profile-backfill.js';
import { AnalyticsProfiles } from './analytics-profiles.js';
import { AnalyticsResolver } from './analytics.resolver.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { RetentionQuery } from './retention.query.js';
import { RollupBackfill } from './rollup-backfill.js';
import { RollupRebuild } from './rollup-rebuild.js';
import { RollupConsumers } from './rollup.consumers.js';
import { rollupFoldConfigProvider } from './rollup-fold-config.js';
import { RollupWatermark } from './rollup-watermark.js';
import { EarlyChurnQuery } from './early-churn.query.js';
import { ReferralsQuery } from './referrals.query.js';
import { RetentionDriversQuery } from './retention-drivers.query.js';
import { Rollups } from './rollups.js';
import { UninstallsQuery } from './uninstalls.query.js';
import { ValueAnalyticsResolver } from './value-analytics.resolver.js';
import { ValueRetentionQuery } from './value-retention.query.js';

/** Analytics: rollups kept from the EVENTS stream (and backfilled once), questions answered from them. */
@Module({
  imports: [ClockModule, ProfileSyncModule],
  providers: [rollupFoldConfigProvider, AnalyticsFilters, AnalyticsProfiles, AnalyticsProfileBackfill, Rollups, RollupWatermark, AnalyticsSettingsStore, RollupConsumers, RollupBackfill, RollupRebuild, RetentionQuery, AnalyticsResolver, ValueRetentionQuery, EarlyChurnQuery, RetentionDriversQuery, UninstallsQuery, ReferralsQuery, ValueAnalyticsResolver],
  exports: [Rollups, RollupBackfill, AnalyticsFilters, AnalyticsSettingsStore, RetentionDriversQuery],
})
export class AnalyticsModule {}
