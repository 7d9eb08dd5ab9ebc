import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { v5 as nameBasedUuid } from 'uuid';
import { Clock } from '@boomerang/platform/subgraph';
import { CampaignAudience } from '../audience/campaign-audience.js';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignStatus } from '../campaigns/campaign.model.js';
import { DeliveryDecisions } from '../delivery/delivery-decisions.js';
import { SkipReason } from '../delivery/delivery-policy.js';
import { CampaignJobs } from '../jobs/campaign-jobs.js';
import { DeliverySettingsRepository } from '../settings/delivery-settings.repository.js';

export const TRIGGER_FIRE_QUEUE = 'campaign-trigger-fire';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// Fire ids and their jobs' ids are name-based UUIDs in this namespace: a redelivered cause fires once.
const FIRE_ID_NAMESPACE = '6c1e2a7d-91b4-4d36-a8f5-0f3e7d52c4b9';

interface TriggerFireJob {
  projectId: string;
  campaignId: string;
  fireId: string;
}

interface FireRow {
  id: string;
  profile_id: string;
  triggered_at: Date;
  /** The decision's occurrence: the trigger time, or the first free millisecond after it (see the migration 1763900004300). */
  occurrence_at: Date;
  fire_at: Date;
  state: 'waiting' | 'sent' | 'cancelled';
  follow_up_at: Date | null;
  event: Record<string, unknown> | null;
}

/**
 * Why a fired trigger sent nothing (`campaign_trigger_fire.cancel_reason`). PAUSED comes with a
 * `campaign_delivery` decision skipped PAUSED (the profile was targeted while the campaign was
 * paused); the others are not delivery decisions, the profile was never targeted.
 */
export enum TriggerCancelReason {
  /** The campaign was a draft or completed when the firing came due. */
  NOT_SENDING = 'NOT_SENDING',
  /** The campaign was paused when the cause happened, or when the firing came due. */
  PAUSED = 'PAUSED',
  SINCE_CONDITION = 'SINCE_CONDITION',
  NOT_IN_AUDIENCE = 'NOT_IN_AUDIENCE',
}

const isSending = (campaign: Pick<CampaignEntity, 'status'>) => campaign.status === CampaignStatus.SCHEDULED || campaign.status === CampaignStatus.RUNNING;

/**
 * A triggered campaign's firings (`campaign_trigger_fire`, one per cause: an event or a membership
 * change). `fire` applies re-eligibility and records the firing in the consumer's transaction; a
 * firing due now with nothing to wait for is delivered in that same transaction, any other by a
 * durable `campaign-trigger-fire` job at its time (after the delay, when the `since` event has had
 * its chance). Delivery goes through the same rules as any send (DeliveryDecisions) and records a
 * decision under the firing's own occurrence (its trigger time, or the next free millisecond when another
 * firing of the profile holds that one). Exactly once: the fire id is derived from the
 * cause, its job id from the fire id, and the decision and the send's idempotency key from both.
 */
@Injectable()
export class TriggerFiring {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audience: CampaignAudience,
    private readonly settings: DeliverySettingsRepository,
    private readonly decisions: DeliveryDecisions,
    private readonly jobs: CampaignJobs,
    private readonly clock: Clock,
  ) {
    jobs.register<TriggerFireJob>({ name: TRIGGER_FIRE_QUEUE, handle: (job) => this.execute(job) });
  }

  /** The campaign starts (or resumes) reacting: causes from now on fire it. */
  async start(manager: EntityManager, campaign: CampaignEntity, now: Date): Promise<void> {
    await manager.update(CampaignEntity, { id: campaign.id, projectId: campaign.projectId }, { sendingSince: now });
  }

  /** The campaign was completed: its firings still waiting (a delay, a `since` window, quiet hours) are cancelled now rather than when due. */
  async stop(manager: EntityManager, campaign: CampaignEntity): Promise<void> {
    await manager.query(`UPDATE campaign_trigger_fire SET state = 'cancelled', cancel_reason = $3 WHERE campaign_id = $1 AND project_id = $2 AND state = 'waiting'`, [
      campaign.id,
      campaign.projectId,
      TriggerCancelReason.NOT_SENDING,
    ]);
  }

  /** The project's triggered campaigns that react to causes now: the sending ones, and the paused ones (each firing recorded as skipped PAUSED). */
  reactingCampaigns(manager: EntityManager, projectId: string): Promise<CampaignEntity[]> {
    return manager
      .createQueryBuilder(CampaignEntity, 'c')
      .where(`c.project_id = :projectId AND c.trigger IS NOT NULL AND c.status IN (:...statuses)`, {
        projectId,
        statuses: [CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED],
      })
      .getMany();
  }

  /** A cause fired the campaign's trigger for a profile at `triggeredAt` (announced at `announcedAt`); `event`: the triggering event's properties. */
  async fire(manager: EntityManager, campaign: CampaignEntity, profileId: string, cause: { id: string; triggeredAt: Date; announcedAt: Date; event: Record<string, unknown> | null }): Promise<void> {
    const { id: causeId, triggeredAt, announcedAt } = cause;
    const trigger = campaign.trigger!;
    if (!campaign.sendingSince || announcedAt < campaign.sendingSince) return; // before the campaign started reacting (a replayed stream)
    if (trigger.reEligibility !== 'every_time') {
      const since = trigger.reEligibility === 'once' ? new Date(0) : new Date(triggeredAt.getTime() - trigger.reEligibleAfterDays! * DAY_MS);
      const [earlier] = (await manager.query(
        `SELECT 1 FROM campaign_trigger_fire WHERE campaign_id = $1 AND profile_id = $2 AND state <> 'cancelled' AND triggered_at > $3 AND cause_id <> $4 LIMIT 1`,
        [campaign.id, profileId, since, causeId],
      )) as unknown[];
      if (earlier) return;
    }
    const id = nameBasedUuid(`${campaign.id}:${causeId}`, FIRE_ID_NAMESPACE);
    const fireAt = new Date(triggeredAt.getTime() + trigger.delayMinutes * MINUTE_MS);
    // Its own occurrence: the trigger time unless another firing of this profile holds it (the same millisecond).
    const [inserted] = (await manager.query(
      `WITH taken AS (
         SELECT occurrence_at FROM campaign_trigger_fire
         WHERE campaign_id = $2 AND profile_id = $4 AND occurrence_at >= $6 AND occurrence_at < $6::timestamptz + interval '1 second')
       INSERT INTO campaign_trigger_fire (id, campaign_id, project_id, profile_id, cause_id, triggered_at, fire_at, event, occurrence_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE
         WHEN NOT EXISTS (SELECT 1 FROM taken WHERE occurrence_at = $6) THEN $6
         ELSE (SELECT min(slot) FROM generate_series($6::timestamptz, $6::timestamptz + interval '999 milliseconds', interval '1 millisecond') AS slot
               WHERE slot NOT IN (SELECT occurrence_at FROM taken)) END)
       ON CONFLICT (campaign_id, cause_id) DO NOTHING RETURNING id, profile_id, triggered_at, occurrence_at, fire_at, state, follow_up_at, event`,
      [id, campaign.id, campaign.projectId, profileId, causeId, triggeredAt, fireAt, cause.event],
    )) as FireRow[];
    if (!inserted) return;
    const now = this.clock.now();
    // Paused when the cause happened: the firing is recorded as skipped at once (not held for a resume that may come weeks later).
    if (campaign.status === CampaignStatus.PAUSED) return this.skipPaused(manager, campaign, inserted, now);
    if (fireAt <= now && !trigger.since) await this.deliver(manager, campaign, inserted, now);
    else await this.scheduleJob(manager, campaign, id, fireAt > now ? fireAt : now, 'due');
  }

  /** An event that may answer a waiting firing's `since` condition: the first one after the trigger is noted. */
  async followedUp(manager: EntityManager, campaign: CampaignEntity, profileId: string, at: Date): Promise<void> {
    await manager.query(
      `UPDATE campaign_trigger_fire SET follow_up_at = $4 WHERE campaign_id = $1 AND project_id = $2 AND profile_id = $3 AND state = 'waiting' AND triggered_at <= $4 AND follow_up_at IS NULL`,
      [campaign.id, campaign.projectId, profileId, at],
    );
  }

  async execute(job: TriggerFireJob): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const campaign = await manager.findOneBy(CampaignEntity, { id: job.campaignId, projectId: job.projectId });
      const [fire] = (await manager.query(`SELECT id, profile_id, triggered_at, occurrence_at, fire_at, state, follow_up_at, event FROM campaign_trigger_fire WHERE id = $1 AND project_id = $2 FOR UPDATE`, [
        job.fireId,
        job.projectId,
      ])) as FireRow[];
      const now = this.clock.now();
      // A firing moved later (quiet hours, throttle) has a newer job for that time.
      if (!campaign || !fire || fire.state !== 'waiting' || fire.fire_at.getTime() > now.getTime() + 1000) return;
      await this.deliver(manager, campaign, fire, now);
    });
  }

  private async deliver(manager: EntityManager, campaign: CampaignEntity, fire: FireRow, now: Date): Promise<void> {
    const trigger = campaign.trigger!;
    const cancel = (reason: TriggerCancelReason) =>
      manager.query(`UPDATE campaign_trigger_fire SET state = 'cancelled', cancel_reason = $2 WHERE id = $1`, [fire.id, reason]);
    if (!isSending(campaign) && campaign.status !== CampaignStatus.PAUSED) return cancel(TriggerCancelReason.NOT_SENDING);
    if (trigger.since && trigger.since.done !== (fire.follow_up_at !== null)) return cancel(TriggerCancelReason.SINCE_CONDITION);
    if (campaign.status === CampaignStatus.PAUSED) return this.skipPaused(manager, campaign, fire, now);
    if (!(await this.audience.includes(manager, campaign.projectId, campaign.audience, fire.profile_id))) return cancel(TriggerCancelReason.NOT_IN_AUDIENCE);
    const settings = await this.settings.get(campaign.projectId, manager);
    if (campaign.throttlePerMinute) {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [`campaigns:deliveries:${campaign.projectId}`]);
      const [{ recent }] = (await manager.query(
        `SELECT count(*)::int AS recent FROM campaign_delivery WHERE project_id = $1 AND campaign_id = $2 AND outcome = 'requested' AND decided_at > $3`,
        [campaign.projectId, campaign.id, new Date(now.getTime() - MINUTE_MS)],
      )) as [{ recent: number }];
      if (recent >= campaign.throttlePerMinute) return this.postpone(manager, campaign, fire, new Date(now.getTime() + MINUTE_MS / 4));
    }
    await this.occurrenceOf(manager, campaign, fire, now);
    const { deferred } = await this.decisions.deliver(manager, campaign, settings, fire.occurrence_at, [fire.profile_id], now, { event: fire.event });
    // In the profile's quiet hours (its own zone), a deferring campaign's firing moves to the window's end.
    const [releaseAt] = deferred.keys();
    if (releaseAt !== undefined) return this.postpone(manager, campaign, fire, new Date(releaseAt));
    await manager.query(`UPDATE campaign_trigger_fire SET state = 'sent' WHERE id = $1`, [fire.id]);
  }

  /**
   * A firing of a paused campaign, for a profile in its audience: a `campaign_delivery` decision
   * skipped PAUSED (stats, Profile.messages) and the firing cancelled PAUSED; nothing is held for the resume.
   */
  private async skipPaused(manager: EntityManager, campaign: CampaignEntity, fire: FireRow, now: Date): Promise<void> {
    const paused = (await this.audience.includes(manager, campaign.projectId, campaign.audience, fire.profile_id)) ? TriggerCancelReason.PAUSED : TriggerCancelReason.NOT_IN_AUDIENCE;
    if (paused === TriggerCancelReason.PAUSED) {
      await this.occurrenceOf(manager, campaign, fire, now);
      await this.decisions.skip(manager, campaign, fire.occurrence_at, [fire.profile_id], SkipReason.PAUSED, now);
    }
    await manager.query(`UPDATE campaign_trigger_fire SET state = 'cancelled', cancel_reason = $2 WHERE id = $1`, [fire.id, paused]);
  }

  /** A triggered decision's occurrence (the firing's own `occurrence_at`), done at once. */
  private async occurrenceOf(manager: EntityManager, campaign: CampaignEntity, fire: FireRow, now: Date): Promise<void> {
    await manager.query(
      `INSERT INTO campaign_occurrence (campaign_id, occurrence_at, project_id, status, started_at, finished_at) VALUES ($1, $2, $3, 'done', $4, $4) ON CONFLICT DO NOTHING`,
      [campaign.id, fire.occurrence_at, campaign.projectId, now],
    );
  }

  private async postpone(manager: EntityManager, campaign: CampaignEntity, fire: FireRow, at: Date): Promise<void> {
    await manager.query(`UPDATE campaign_trigger_fire SET fire_at = $2 WHERE id = $1`, [fire.id, at]);
    await this.scheduleJob(manager, campaign, fire.id, at, `at:${at.getTime()}`);
  }

  private scheduleJob(manager: EntityManager, campaign: CampaignEntity, fireId: string, at: Date, step: string): Promise<string | null> {
    return this.jobs.schedule(TRIGGER_FIRE_QUEUE, { projectId: campaign.projectId, campaignId: campaign.id, fireId }, {
      id: nameBasedUuid(`${fireId}:${step}`, FIRE_ID_NAMESPACE),
      startAfter: at,
      manager,
    });
  }
}
