import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { CampaignAudience } from '../audience/campaign-audience.js';
import { SegmentFill } from '../audience/segment-fill.js';
import { occurrenceAfter } from '../campaigns/campaign-definition.js';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignStatus } from '../campaigns/campaign.model.js';
import { CampaignJobs } from '../jobs/campaign-jobs.js';
import { DeliverySettingsRepository } from '../settings/delivery-settings.repository.js';
import { DeliveryDecisions } from './delivery-decisions.js';
import { OCCURRENCE_QUEUE, OccurrenceScheduler, type OccurrenceJob } from './occurrence-scheduler.js';

/** Profiles decided per transaction when the campaign has no throttle. */
export const FAN_OUT_PAGE = 1000;
const MINUTE_MS = 60_000;
/** How long an occurrence waits before looking again whether its segments are filled. */
const FILL_WAIT_MS = 2_000;
/**
 * A recurring series' row in profile zones that starts this late (a resume or a restart long after
 * it was due) is closed unsent: a "09:00 local" send does not go out in the evening; its profiles get the
 * next series.
 */
export const STALE_SERIES_ROW_MS = 12 * 3_600_000;

type Step = 'more' | 'stop';

interface OccurrenceRow {
  status: 'pending' | 'running' | 'done';
  after_profile_id: string | null;
  batches: number;
  time_zones: string[] | null;
  series_at: Date | null;
}

export { idempotencyKeyOf } from './delivery-decisions.js';

/**
 * Runs one occurrence of a campaign (the `campaign-occurrence` job): page by page in profile id
 * order, each page in one transaction that locks the occurrence, decides each targeted profile
 * (DeliveryDecisions: holdout, control group, quiet hours in each profile's zone, day rule,
 * frequency cap, minimum gap), records every decision in `campaign_delivery`, publishes the sends
 * to the channel, and moves the occurrence's cursor. A crash resumes at the cursor; a decision
 * already recorded is never made (or sent) again. With a throttle, one page of that size runs per
 * minute (the next page is a job a minute later). Profiles of a deferring campaign in their quiet
 * hours are held (`campaign_quiet_deferral`) for a QuietRelease job at their window's end. The
 * last page schedules the next occurrence of a recurring campaign, or completes the campaign
 * (once nothing is held either).
 */
@Injectable()
export class RunOccurrence {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audience: CampaignAudience,
    private readonly settings: DeliverySettingsRepository,
    private readonly scheduler: OccurrenceScheduler,
    private readonly decisions: DeliveryDecisions,
    private readonly fill: SegmentFill,
    private readonly clock: Clock,
    jobs: CampaignJobs,
  ) {
    jobs.register<OccurrenceJob>({ name: OCCURRENCE_QUEUE, handle: (job) => this.execute(job) });
  }

  async execute(job: OccurrenceJob): Promise<void> {
    while ((await this.dataSource.transaction((manager) => this.step(manager, job))) === 'more');
  }

  private async step(manager: EntityManager, job: OccurrenceJob): Promise<Step> {
    const occurrenceAt = new Date(job.occurrenceAt);
    const campaign = await manager.findOneBy(CampaignEntity, { id: job.campaignId, projectId: job.projectId });
    if (!campaign || (campaign.status !== CampaignStatus.SCHEDULED && campaign.status !== CampaignStatus.RUNNING)) return 'stop';
    const [occurrence] = (await manager.query(
      `SELECT status, after_profile_id, batches, time_zones, series_at FROM campaign_occurrence WHERE campaign_id = $1 AND occurrence_at = $2 AND project_id = $3 FOR UPDATE`,
      [job.campaignId, occurrenceAt, job.projectId],
    )) as OccurrenceRow[];
    if (!occurrence || occurrence.status === 'done') return 'stop';

    const now = this.clock.now();
    // Only a row not started: a throttled fan-out may rightly take longer than that.
    if (occurrence.status === 'pending' && occurrence.series_at && campaign.schedule?.rrule && now.getTime() - occurrenceAt.getTime() > STALE_SERIES_ROW_MS) {
      await this.finish(manager, campaign, occurrenceAt, occurrence.series_at, now);
      return 'stop';
    }
    // Until the segments it names are filled, the projection would miss members older than the SEGMENTS stream.
    if ((await this.fill.pending(manager, job.projectId, [...campaign.audience.include, ...campaign.audience.exclude])).length > 0) {
      const at = new Date(now.getTime() + FILL_WAIT_MS);
      await this.scheduler.continueAt(manager, job, at, `fill:${occurrence.batches}:${at.getTime()}`);
      return 'stop';
    }
    const settings = await this.settings.get(job.projectId, manager);
    if (occurrence.status === 'pending') {
      await manager.query(`UPDATE campaign_occurrence SET status = 'running', started_at = $3 WHERE campaign_id = $1 AND occurrence_at = $2`, [job.campaignId, occurrenceAt, now]);
      if (campaign.status === CampaignStatus.SCHEDULED) await manager.update(CampaignEntity, { id: campaign.id }, { status: CampaignStatus.RUNNING });
    }

    const pageSize = Math.min(campaign.throttlePerMinute ?? FAN_OUT_PAGE, FAN_OUT_PAGE);
    const zones = occurrence.time_zones ? { list: occurrence.time_zones, fallback: settings.timeZone } : null;
    // A profile is sent once per series, whichever zone's row it is in when that row runs (its zone may have moved).
    const series = occurrence.series_at ? { campaignId: campaign.id, at: occurrence.series_at } : null;
    const profileIds = await this.audience.page(manager, job.projectId, campaign.audience, occurrence.after_profile_id, pageSize, zones, series);
    if (profileIds.length === 0) {
      await this.finish(manager, campaign, occurrenceAt, occurrence.series_at, now);
      return 'stop';
    }
    const { deferred } = await this.decisions.deliver(manager, campaign, settings, occurrenceAt, profileIds, now);
    await this.scheduler.defer(manager, campaign, occurrenceAt, deferred, now);
    await manager.query(`UPDATE campaign_occurrence SET after_profile_id = $3, batches = batches + 1 WHERE campaign_id = $1 AND occurrence_at = $2`, [
      job.campaignId,
      occurrenceAt,
      profileIds[profileIds.length - 1],
    ]);
    if (campaign.throttlePerMinute) {
      await this.scheduler.continueAt(manager, job, new Date(now.getTime() + MINUTE_MS), `batch:${occurrence.batches + 1}`);
      return 'stop';
    }
    return 'more';
  }

  /** The occurrence is done; a recurring campaign gets its next occurrence (in profile zones: its next series), any other completes. */
  private async finish(manager: EntityManager, campaign: CampaignEntity, occurrenceAt: Date, seriesAt: Date | null, now: Date): Promise<void> {
    await manager.query(`UPDATE campaign_occurrence SET status = 'done', finished_at = $3 WHERE campaign_id = $1 AND occurrence_at = $2`, [campaign.id, occurrenceAt, now]);
    if (seriesAt && campaign.schedule?.rrule) {
      if (await this.scheduler.scheduleNextSeries(manager, campaign, seriesAt, now)) return;
    } else {
      const next = occurrenceAfter(campaign.schedule, occurrenceAt > now ? occurrenceAt : now);
      if (next) {
        await this.scheduler.schedule(manager, campaign.projectId, campaign.id, next);
        return;
      }
    }
    // A send at a local time has one occurrence per zone offset, and quiet hours hold profiles past their occurrence: the last of them completes the campaign.
    if (!(await this.scheduler.hasOpenWork(manager, campaign.id))) await manager.update(CampaignEntity, { id: campaign.id }, { status: CampaignStatus.COMPLETED });
  }
}
