import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignStatus } from '../campaigns/campaign.model.js';
import { CampaignJobs } from '../jobs/campaign-jobs.js';
import { DeliverySettingsRepository } from '../settings/delivery-settings.repository.js';
import { DeliveryDecisions } from './delivery-decisions.js';
import { SkipReason } from './delivery-policy.js';
import { OccurrenceScheduler, QUIET_RELEASE_QUEUE, type QuietReleaseJob } from './occurrence-scheduler.js';
import { FAN_OUT_PAGE } from './run-occurrence.js';

const MINUTE_MS = 60_000;

type Step = 'more' | 'stop';

/**
 * The `campaign-quiet-release` job: at the end of a quiet-hours window, decides the profiles of
 * one occurrence that a deferring campaign held until then (every zone whose window ends at that
 * instant shares the job), page by page in profile id order, each page in one transaction that
 * takes its rows out of `campaign_quiet_deferral` and records their decisions under the
 * occurrence's own time (so the idempotency key is the one the fan-out would have used). The rules
 * run again as of the release (a profile whose window is longer by now, or whose zone moved, is
 * held again until its new end). A paused campaign's release stops and resumes with the campaign;
 * the last release of a campaign with nothing else to send completes it.
 */
@Injectable()
export class QuietRelease {
  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: DeliverySettingsRepository,
    private readonly scheduler: OccurrenceScheduler,
    private readonly decisions: DeliveryDecisions,
    private readonly clock: Clock,
    jobs: CampaignJobs,
  ) {
    jobs.register<QuietReleaseJob>({ name: QUIET_RELEASE_QUEUE, handle: (job) => this.execute(job) });
  }

  /**
   * A campaign completed while it held profiles in their quiet hours: each held profile gets its
   * decision now, skipped CAMPAIGN_COMPLETED under its occurrence's time (stats and Profile.messages
   * say why it was never sent), in the caller's transaction; the release jobs then find nothing.
   */
  async dropHeld(manager: EntityManager, campaign: CampaignEntity, now: Date): Promise<void> {
    const rows = (await manager.query(
      `WITH taken AS (DELETE FROM campaign_quiet_deferral WHERE campaign_id = $1 AND project_id = $2 RETURNING occurrence_at, profile_id) SELECT occurrence_at, profile_id FROM taken`,
      [campaign.id, campaign.projectId],
    )) as { occurrence_at: Date; profile_id: string }[];
    const byOccurrence = new Map<number, string[]>();
    for (const row of rows) byOccurrence.set(row.occurrence_at.getTime(), [...(byOccurrence.get(row.occurrence_at.getTime()) ?? []), row.profile_id]);
    for (const [occurrenceAt, profileIds] of byOccurrence) {
      await this.decisions.skip(manager, campaign, new Date(occurrenceAt), profileIds.sort(), SkipReason.CAMPAIGN_COMPLETED, now);
    }
  }

  async execute(job: QuietReleaseJob): Promise<void> {
    while ((await this.dataSource.transaction((manager) => this.step(manager, job))) === 'more');
  }

  private async step(manager: EntityManager, job: QuietReleaseJob): Promise<Step> {
    const campaign = await manager.findOneBy(CampaignEntity, { id: job.campaignId, projectId: job.projectId });
    if (!campaign || (campaign.status !== CampaignStatus.SCHEDULED && campaign.status !== CampaignStatus.RUNNING)) return 'stop';
    const now = this.clock.now();
    const releaseAt = new Date(job.releaseAt);
    if (now < releaseAt) {
      // Early (a clock behind the job's): come back then rather than hold the same profiles again.
      await this.scheduler.releaseAt(manager, job, releaseAt, `early:${now.getTime()}`);
      return 'stop';
    }
    const occurrenceAt = new Date(job.occurrenceAt);
    const pageSize = Math.min(campaign.throttlePerMinute ?? FAN_OUT_PAGE, FAN_OUT_PAGE);
    const rows = (await manager.query(
      `WITH taken AS (
         DELETE FROM campaign_quiet_deferral WHERE (campaign_id, occurrence_at, profile_id) IN (
           SELECT campaign_id, occurrence_at, profile_id FROM campaign_quiet_deferral
           WHERE campaign_id = $1 AND occurrence_at = $2 AND release_at = $3 AND project_id = $4
           ORDER BY profile_id LIMIT $5 FOR UPDATE)
         RETURNING profile_id)
       SELECT profile_id FROM taken`,
      [campaign.id, occurrenceAt, releaseAt, campaign.projectId, pageSize],
    )) as { profile_id: string }[];
    if (rows.length === 0) {
      // A recurring campaign always has its next occurrence open; nothing open means nothing left to send.
      if (!(await this.scheduler.hasOpenWork(manager, campaign.id))) await manager.update(CampaignEntity, { id: campaign.id }, { status: CampaignStatus.COMPLETED });
      return 'stop';
    }
    const profileIds = rows.map((row) => row.profile_id).sort();
    const settings = await this.settings.get(campaign.projectId, manager);
    const { deferred } = await this.decisions.deliver(manager, campaign, settings, occurrenceAt, profileIds, now);
    await this.scheduler.defer(manager, campaign, occurrenceAt, deferred, now);
    if (campaign.throttlePerMinute) {
      await this.scheduler.releaseAt(manager, job, new Date(now.getTime() + MINUTE_MS), `batch:${now.getTime()}`);
      return 'stop';
    }
    return 'more';
  }
}
