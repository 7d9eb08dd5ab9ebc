import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProjectId } from '@boomerang/platform/subgraph';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { AnalyticsSettingsModel, Retention } from './analytics.model.js';
import { RetentionInput } from './dto/retention.input.js';
import { UpdateAnalyticsSettingsInput } from './dto/update-analytics-settings.input.js';
import { RetentionQuery } from './retention.query.js';

/** Analytics questions and settings; secret key only (the guard's default). */
@Resolver()
export class AnalyticsResolver {
  constructor(
    private readonly retentionQuery: RetentionQuery,
    private readonly settings: AnalyticsSettingsStore,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Query(() => Retention, { description: 'A retention matrix answered from the rollups: cohorts by first (start) event, returns by interval.' })
  retention(@ProjectId() projectId: string, @Args('input') input: RetentionInput) {
    return this.retentionQuery.retention(projectId, input);
  }

  @Query(() => AnalyticsSettingsModel)
  analyticsSettings(@ProjectId() projectId: string) {
    return this.settings.get(this.dataSource.manager, projectId);
  }

  @Mutation(() => AnalyticsSettingsModel, { description: "Sets the project's analytics time zone and revenue event; once the project has rollups, they are rebuilt under the new settings (`rebuilding` until done)." })
  updateAnalyticsSettings(@ProjectId() projectId: string, @Args('input') input: UpdateAnalyticsSettingsInput) {
    return this.settings.update(projectId, {
      ...(input.timeZone != null ? { timeZone: input.timeZone } : {}),
      ...(input.revenueEvent != null ? { revenueEvent: input.revenueEvent } : {}),
      ...(input.revenueProperty != null ? { revenueProperty: input.revenueProperty } : {}),
    });
  }
}
