import { Args, Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { EarlyChurnInput } from './dto/early-churn.input.js';
import { RetentionDriversInput } from './dto/retention-drivers.input.js';
import { ReferralsInput, UninstallsInput } from './dto/uninstalls-referrals.input.js';
import { ValueRetentionInput } from './dto/value-retention.input.js';
import { EarlyChurn } from './early-churn.model.js';
import { EarlyChurnQuery } from './early-churn.query.js';
import { RetentionDrivers } from './retention-drivers.model.js';
import { ReferralsQuery } from './referrals.query.js';
import { RetentionDriversQuery } from './retention-drivers.query.js';
import { Referrals, Uninstalls } from './uninstalls-referrals.model.js';
import { UninstallsQuery } from './uninstalls.query.js';
import { ValueRetention } from './value-retention.model.js';
import { ValueRetentionQuery } from './value-retention.query.js';

/** Value questions (LTV, early churn, drivers, uninstalls, referrals); secret key only (the guard's default). */
@Resolver()
export class ValueAnalyticsResolver {
  constructor(
    private readonly valueRetentionQuery: ValueRetentionQuery,
    private readonly earlyChurnQuery: EarlyChurnQuery,
    private readonly driversQuery: RetentionDriversQuery,
    private readonly uninstallsQuery: UninstallsQuery,
    private readonly referralsQuery: ReferralsQuery,
  ) {}

  @Query(() => ValueRetention, { description: 'Revenue by cohort and interval: LTV curves, revenue retention, ARPAU.' })
  valueRetention(@ProjectId() projectId: string, @Args('input') input: ValueRetentionInput) {
    return this.valueRetentionQuery.valueRetention(projectId, input);
  }

  @Query(() => EarlyChurn, { description: 'Share of the profiles that arrived in a period never seen again after day 1, 3, 7, 30 (or the days given), by acquisition property.' })
  earlyChurn(@ProjectId() projectId: string, @Args('input') input: EarlyChurnInput) {
    return this.earlyChurnQuery.earlyChurn(projectId, input);
  }

  @Query(() => RetentionDrivers, { description: 'What members did in their first days, ranked by how much more the doers retained than the non-doers (with a 95 % interval).' })
  retentionDrivers(@ProjectId() projectId: string, @Args('input') input: RetentionDriversInput) {
    return this.driversQuery.retentionDrivers(projectId, input);
  }

  @Query(() => Uninstalls, { description: 'Uninstall rate per cohort and days to uninstall (App Uninstalled from SDKs or push feedback).' })
  uninstalls(@ProjectId() projectId: string, @Args('input') input: UninstallsInput) {
    return this.uninstallsQuery.uninstalls(projectId, input);
  }

  @Query(() => Referrals, { description: 'Referrer → referred installs → their revenue, with per-referrer totals.' })
  referrals(@ProjectId() projectId: string, @Args('input') input: ReferralsInput) {
    return this.referralsQuery.referrals(projectId, input);
  }
}
