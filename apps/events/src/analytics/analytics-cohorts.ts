import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { encodeProfileIds, MAX_ANALYTICS_COHORT_CHUNK, SaveAnalyticsCohort } from '@boomerang/contracts';
import { callRpc, RpcError, type Messaging } from '@boomerang/platform/messaging';
import { MESSAGING } from '@boomerang/platform/subgraph';
import { AnalyticsError } from './analytics.errors.js';
import { invalidQuestion } from './behaviour.js';
import { FunnelQuery, type FunnelQuestion } from './funnel.query.js';
import { LifecycleQuery, type LifecycleQuestion, type LifecycleState } from './lifecycle.query.js';
import { RetentionDriversQuery, type RetentionDriversQuestion } from './retention-drivers.query.js';

export interface AnalyticsCohortRequest {
  name: string;
  description?: string | null;
  funnel?: { question: FunnelQuestion; step: number; dropped?: boolean | null } | null;
  lifecycle?: { question: LifecycleQuestion; state: LifecycleState; intervalStart: string } | null;
  drivers?: { question: RetentionDriversQuestion; event: string; atLeast?: number | null; doers?: boolean | null } | null;
}

/** Most times a driver's event may be asked for (as retentionDrivers' atLeast). */
const MAX_DRIVER_TIMES = 1000;

/**
 * "Profiles as a segment": the profiles an analytics answer counted (a funnel's drop-off or
 * converters at a step, a lifecycle state in an interval, a retention driver's doers or non-doers) saved as a STATIC segment in `segments`
 * (SaveAnalyticsCohort), in chunks of compact ids, one click from "who dropped" to a campaign.
 */
@Injectable()
export class AnalyticsCohorts {
  constructor(
    private readonly funnels: FunnelQuery,
    private readonly lifecycles: LifecycleQuery,
    private readonly drivers: RetentionDriversQuery,
    @Inject(MESSAGING) private readonly messaging: Messaging,
  ) {}

  async save(projectId: string, request: AnalyticsCohortRequest): Promise<{ segmentId: string; profiles: number }> {
    if ([request.funnel, request.lifecycle, request.drivers].filter((part) => part != null).length !== 1) throw invalidQuestion('funnel', 'give exactly one of funnel, lifecycle and drivers');
    const { funnel, lifecycle, drivers } = request;
    if (drivers && (drivers.atLeast ?? 1) > MAX_DRIVER_TIMES) throw invalidQuestion('drivers.atLeast', `must be a whole number from 1 to ${MAX_DRIVER_TIMES}`);
    const own = funnel ? 'funnel' : lifecycle ? 'lifecycle' : 'drivers';
    // The question's own checks name `input.<field>`; here it sits at `input.<own>.question`.
    const profileIds = await (
      funnel
        ? this.funnels.profiles(projectId, funnel.question, funnel.step, funnel.dropped ?? true)
        : lifecycle
          ? this.lifecycles.profiles(projectId, lifecycle.question, lifecycle.state, lifecycle.intervalStart)
          : this.drivers.profiles(projectId, drivers!.question, drivers!.event, drivers!.atLeast ?? 1, drivers!.doers ?? true)
    ).catch((error: unknown) => {
      throw error instanceof AnalyticsError ? error.under(`input.${own}.question`, own) : error;
    });
    const cohortId = randomUUID();
    let segmentId: string = cohortId;
    // Chunk 0 goes even when empty: it creates the segment.
    for (let chunk = 0, at = 0; chunk === 0 || at < profileIds.length; chunk++, at += MAX_ANALYTICS_COHORT_CHUNK) {
      const ids = profileIds.slice(at, at + MAX_ANALYTICS_COHORT_CHUNK);
      const body = { projectId, cohortId, name: request.name, description: request.description ?? null, chunk, profileIds: encodeProfileIds(ids), count: ids.length };
      const reply = await this.send(body);
      if (!reply.ok) throw new RpcError(`${SaveAnalyticsCohort.name}: ${reply.reason}`);
      segmentId = reply.segmentId;
    }
    return { segmentId, profiles: profileIds.length };
  }

  /** One chunk, sent again once when no answer came (segments adds a retried chunk's profiles once). */
  private async send(body: z.infer<typeof SaveAnalyticsCohort.request>) {
    try {
      return await callRpc(this.messaging.nc, this.messaging.subjects, SaveAnalyticsCohort, body, 30_000);
    } catch (error) {
      if (error instanceof RpcError) throw error;
      return callRpc(this.messaging.nc, this.messaging.subjects, SaveAnalyticsCohort, body, 30_000);
    }
  }
}
