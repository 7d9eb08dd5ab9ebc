import { Module } from '@nestjs/common';
import { AnalyticsModule } from './analytics.module.js';
import { AnalyticsCohorts } from './analytics-cohorts.js';
import { BehaviourResolver } from './behaviour.resolver.js';
import { FunnelQuery } from './funnel.query.js';
import { LifecycleQuery } from './lifecycle.query.js';
import { StickinessQuery } from './stickiness.query.js';
import { TrendsQuery } from './trends.query.js';

/** Behaviour questions answered from the analytics rollups (and the raw events for exact times and property conditions), with AnalyticsModule's settings and filters. */
@Module({
  imports: [AnalyticsModule],
  providers: [AnalyticsCohorts, FunnelQuery, TrendsQuery, StickinessQuery, LifecycleQuery, BehaviourResolver],
  exports: [AnalyticsCohorts],
})
export class BehaviourModule {}
