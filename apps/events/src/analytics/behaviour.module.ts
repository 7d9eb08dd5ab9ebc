import { Module } from '@nestjs/common';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { BehaviourResolver } from './behaviour.resolver.js';
import { FunnelQuery } from './funnel.query.js';
import { LifecycleQuery } from './lifecycle.query.js';
import { StickinessQuery } from './stickiness.query.js';
import { TrendsQuery } from './trends.query.js';

/** Behaviour questions answered from the analytics rollups (and the raw events for exact times and property conditions). */
@Module({
  providers: [AnalyticsSettingsStore, FunnelQuery, TrendsQuery, StickinessQuery, LifecycleQuery, BehaviourResolver],
  exports: [FunnelQuery, LifecycleQuery],
})
export class BehaviourModule {}
