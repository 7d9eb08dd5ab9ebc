import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { EmailSendRequested, type MessageOf } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { Clock, LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { CampaignAudience } from '../audience/campaign-audience.js';
import { occurrenceAfter } from '../campaigns/campaign-definition.js';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignStatus, QuietHoursBehavior } from '../campaigns/campaign.model.js';
import { CampaignJobs } from '../jobs/campaign-jobs.js';
import { DeliverySettingsRepository } from '../settings/delivery-settings.repository.js';
import type { DeliverySettings } from '../settings/delivery-settings.js';
import { inControlGroup, inHoldout, quietHoursEnd, SkipReason } from './delivery-policy.js';
import { OCCURRENCE_QUEUE, OccurrenceScheduler, type OccurrenceJob } from './occurrence-scheduler.js';

/** Profiles decided per transaction when the campaign has no throttle. */
export const FAN_OUT_PAGE = 1000;
const MINUTE_MS = 60_000;

type Step = 'more' | 'stop';

interface OccurrenceRow {
  status: 'pending' | 'running' | 'done';
  after_profile_id: string | null;
  batches: number;
}

/** The idempotency key of one campaign message: a restart or a redelivery never sends it twice. */
export const idempotencyKeyOf = (campaignId: string, occurrenceAt: Date, profileId: string): string => `campaign:${campaignId}:${occurrenceAt.getTime()}:${profileId}`;

/**
 * Runs one occurrence of a campaign (the `campaign-occurrence` job): page by page in profile id
 * order, each page in one transaction that locks the occurrence, decides each targeted profile
 * (holdout, control group, quiet hours when the campaign drops, frequency cap, minimum gap),
 * records every decision in `campaign_delivery`, publishes `EmailSendRequested` for the sends
 * through the outbox, and moves the occurrence's cursor. A crash resumes at the cursor; a
 * decision already recorded is never made (or sent) again. With a throttle, one page of that size
 * runs per minute (the next page is a job a minute later); in quiet hours a deferring campaign's
 * occurrence waits for a job at the window's end. The last page schedules the next occurrence of
 * a recurring campaign, or completes the campaign.
 */
@Injectable()
export class RunOccurrence {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audience: CampaignAudience,
    private readonly settings: DeliverySettingsRepository,
    private readonly scheduler: OccurrenceScheduler,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
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
      `SELECT status, after_profile_id, batches FROM campaign_occurrence WHERE campaign_id = $1 AND occurrence_at = $2 AND project_id = $3 FOR UPDATE`,
      [job.campaignId, occurrenceAt, job.projectId],
    )) as OccurrenceRow[];
    if (!occurrence || occurrence.status === 'done') return 'stop';

    const now = this.clock.now();
    const settings = await this.settings.get(job.projectId, manager);
    const quietUntil = quietHoursEnd(now, settings);
    if (quietUntil && campaign.quietHours === QuietHoursBehavior.DEFER) {
      await this.scheduler.continueAt(manager, job, quietUntil, `quiet:${occurrence.batches}:${quietUntil.getTime()}`);
      return 'stop';
    }
    if (occurrence.status === 'pending') {
      await manager.query(`UPDATE campaign_occurrence SET status = 'running', started_at = $3 WHERE campaign_id = $1 AND occurrence_at = $2`, [job.campaignId, occurrenceAt, now]);
      if (campaign.status === CampaignStatus.SCHEDULED) await manager.update(CampaignEntity, { id: campaign.id }, { status: CampaignStatus.RUNNING });
    }

    const pageSize = Math.min(campaign.throttlePerMinute ?? FAN_OUT_PAGE, FAN_OUT_PAGE);
    const profileIds = await this.audience.page(manager, job.projectId, campaign.audience, occurrence.after_profile_id, pageSize);
    if (profileIds.length === 0) {
      await this.finish(manager, campaign, occurrenceAt, now);
      return 'stop';
    }
    // Caps count the project's earlier sends: decisions for one project are made one page at a time.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [`campaigns:deliveries:${job.projectId}`]);
    const decisions = await this.decide(manager, campaign, settings, profileIds, now, quietUntil !== null);
    await this.record(manager, campaign, occurrenceAt, decisions, now);
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

  private async decide(
    manager: EntityManager,
    campaign: CampaignEntity,
    settings: DeliverySettings,
    profileIds: readonly string[],
    now: Date,
    quiet: boolean,
  ): Promise<Map<string, SkipReason | null>> {
    const decisions = new Map<string, SkipReason | null>();
    const candidates: string[] = [];
    for (const profileId of profileIds) {
      if (inHoldout(campaign.projectId, profileId, settings.holdoutPercent)) decisions.set(profileId, SkipReason.HOLDOUT);
      else if (inControlGroup(campaign.id, profileId, campaign.controlPercent)) decisions.set(profileId, SkipReason.CONTROL_GROUP);
      else if (quiet) decisions.set(profileId, SkipReason.QUIET_HOURS);
      else candidates.push(profileId);
    }
    const capped = new Map<string, SkipReason>();
    if (candidates.length > 0 && (settings.emailCap || settings.minGapMinutes)) {
      const capDays = settings.emailCap?.days ?? 0;
      const gapMs = (settings.minGapMinutes ?? 0) * MINUTE_MS;
      const rows = (await manager.query(
        `SELECT profile_id,
                count(*) FILTER (WHERE decided_at > $4::timestamptz - make_interval(days => $5::int))::int AS recent,
                max(decided_at) AS last_at
         FROM campaign_delivery
         WHERE project_id = $1 AND channel = $2 AND outcome = 'requested' AND profile_id = ANY($3::uuid[])
           AND decided_at > $4::timestamptz - greatest(make_interval(days => $5::int), make_interval(secs => $6::double precision / 1000))
         GROUP BY profile_id`,
        [campaign.projectId, campaign.channel, candidates, now, capDays, gapMs],
      )) as { profile_id: string; recent: number; last_at: Date }[];
      for (const row of rows) {
        if (settings.emailCap && row.recent >= settings.emailCap.max) capped.set(row.profile_id, SkipReason.FREQUENCY_CAP);
        else if (gapMs > 0 && now.getTime() - row.last_at.getTime() < gapMs) capped.set(row.profile_id, SkipReason.MIN_GAP);
      }
    }
    for (const profileId of candidates) decisions.set(profileId, capped.get(profileId) ?? null);
    return decisions;
  }

  /** Stores the decisions not stored yet and publishes the sends among them, in the page's transaction. */
  private async record(manager: EntityManager, campaign: CampaignEntity, occurrenceAt: Date, decisions: Map<string, SkipReason | null>, now: Date): Promise<void> {
    const ids = [...decisions.keys()];
    const reasons = ids.map((id) => decisions.get(id) ?? null);
    const inserted = (await manager.query(
      `INSERT INTO campaign_delivery (campaign_id, occurrence_at, profile_id, project_id, channel, outcome, reason, decided_at)
       SELECT $1, $2, d.profile_id, $3, $4, CASE WHEN d.reason IS NULL THEN 'requested' ELSE 'skipped' END, d.reason, $5
       FROM unnest($6::uuid[], $7::text[]) AS d (profile_id, reason)
       ON CONFLICT DO NOTHING
       RETURNING profile_id, outcome`,
      [campaign.id, occurrenceAt, campaign.projectId, campaign.channel, now, ids, reasons],
    )) as { profile_id: string; outcome: string }[];
    const sends = inserted.filter((row) => row.outcome === 'requested').map((row) => row.profile_id);
    if (sends.length === 0) return;
    if (!campaign.templateId || !campaign.templateVersion) {
      this.logger.error({ campaignId: campaign.id }, 'email campaign without a template reached delivery');
      throw new Error(`campaign ${campaign.id} has no email template`);
    }
    const occurredAt = now.toISOString();
    const bodies: MessageOf<typeof EmailSendRequested>[] = sends.map((profileId) => ({
      projectId: campaign.projectId,
      occurredAt,
      templateId: campaign.templateId!,
      templateVersion: campaign.templateVersion!,
      profileId,
      campaignId: campaign.id,
      journeyId: null,
      idempotencyKey: idempotencyKeyOf(campaign.id, occurrenceAt, profileId),
      campaign: { id: campaign.id, name: campaign.name, occurrenceAt: occurrenceAt.toISOString() },
    }));
    await this.outbox.enqueueMany(manager, EmailSendRequested, bodies, bodies.map((body) => body.idempotencyKey));
  }

  /** The occurrence is done; a recurring campaign gets its next occurrence, any other completes. */
  private async finish(manager: EntityManager, campaign: CampaignEntity, occurrenceAt: Date, now: Date): Promise<void> {
    await manager.query(`UPDATE campaign_occurrence SET status = 'done', finished_at = $3 WHERE campaign_id = $1 AND occurrence_at = $2`, [campaign.id, occurrenceAt, now]);
    const next = occurrenceAfter(campaign.schedule, occurrenceAt > now ? occurrenceAt : now);
    if (next) await this.scheduler.schedule(manager, campaign.projectId, campaign.id, next);
    else await manager.update(CampaignEntity, { id: campaign.id }, { status: CampaignStatus.COMPLETED });
  }
}
