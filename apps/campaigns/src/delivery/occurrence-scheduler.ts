import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v5 as nameBasedUuid } from 'uuid';
import { ProfileZones } from '../audience/profile-zones.js';
import { firstOccurrence } from '../campaigns/campaign-definition.js';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignJobs } from '../jobs/campaign-jobs.js';
import { DeliverySettingsRepository } from '../settings/delivery-settings.repository.js';
import { localTimeInstants } from './local-time.js';

export const OCCURRENCE_QUEUE = 'campaign-occurrence';
/** Releases the profiles of an occurrence whose quiet hours end at one instant (all zones ending then share the job). */
export const QUIET_RELEASE_QUEUE = 'campaign-quiet-release';

/** What an occurrence job carries: which occurrence of which campaign to (continue to) send. */
export interface OccurrenceJob {
  projectId: string;
  campaignId: string;
  occurrenceAt: string;
}

/** What a quiet-hours release job carries: the occurrence and the window end whose deferred profiles it decides. */
export interface QuietReleaseJob extends OccurrenceJob {
  releaseAt: string;
}

// Job ids are name-based UUIDs in this namespace, so scheduling the same step twice queues one job.
const JOB_ID_NAMESPACE = '3b1f8a52-2f4e-4d59-9b0c-6b8f4b7c1e21';

/** Creates occurrences (`campaign_occurrence`) and the durable jobs that run them, in the caller's transaction. */
@Injectable()
export class OccurrenceScheduler {
  constructor(
    private readonly jobs: CampaignJobs,
    private readonly zones: ProfileZones,
    private readonly settings: DeliverySettingsRepository,
  ) {}

  /**
   * The first occurrence of a campaign that starts sending; with `inProfileTimeZone`, one per
   * distinct instant its local time falls at in the zones of the project's profiles (and the
   * project's zone, for profiles without one). False when the schedule has none left.
   */
  async scheduleFirst(manager: EntityManager, campaign: CampaignEntity, now: Date): Promise<boolean> {
    if (campaign.schedule?.inProfileTimeZone) {
      const { timeZone } = await this.settings.get(campaign.projectId, manager);
      const instants = localTimeInstants(campaign.schedule.startAt, campaign.schedule.timeZone, [...(await this.zones.zonesOf(manager, campaign.projectId)), timeZone]);
      for (const [at, zones] of instants) await this.schedule(manager, campaign.projectId, campaign.id, new Date(at), zones);
      return true;
    }
    const first = firstOccurrence(campaign.schedule, now);
    if (!first) return false;
    await this.schedule(manager, campaign.projectId, campaign.id, first);
    return true;
  }

  /** A new occurrence at `at` (for the profiles in `timeZones` only, when given), run by a job due then (nothing when it exists already). */
  async schedule(manager: EntityManager, projectId: string, campaignId: string, at: Date, timeZones: readonly string[] | null = null): Promise<void> {
    const inserted = (await manager.query(
      `INSERT INTO campaign_occurrence (campaign_id, occurrence_at, project_id, time_zones) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING campaign_id`,
      [campaignId, at, projectId, timeZones],
    )) as unknown[];
    if (inserted.length === 0) return;
    await this.continueAt(manager, { projectId, campaignId, occurrenceAt: at.toISOString() }, at, 'start');
  }

  /**
   * A job that continues the occurrence at `at`. `step` names the step (e.g. the batch number), so
   * one step is queued once; null queues a new job (resuming after a pause).
   */
  async continueAt(manager: EntityManager, job: OccurrenceJob, at: Date, step: string | null): Promise<void> {
    const id = step === null ? randomUUID() : nameBasedUuid(`${job.campaignId}:${job.occurrenceAt}:${step}`, JOB_ID_NAMESPACE);
    await this.jobs.schedule(OCCURRENCE_QUEUE, job, { id, startAfter: at, manager });
  }

  /**
   * Holds profiles of an occurrence until their quiet hours end (`deferred`: window end in ms →
   * profiles), in the caller's transaction: a `campaign_quiet_deferral` row each (a profile held
   * again gets its new end) and one release job per window end, shared by every zone ending then.
   */
  async defer(manager: EntityManager, campaign: Pick<CampaignEntity, 'id' | 'projectId'>, occurrenceAt: Date, deferred: ReadonlyMap<number, readonly string[]>, now: Date): Promise<void> {
    for (const [releaseMs, profileIds] of deferred) {
      const releaseAt = new Date(releaseMs);
      await manager.query(
        `INSERT INTO campaign_quiet_deferral (campaign_id, occurrence_at, profile_id, project_id, release_at, deferred_at)
         SELECT $1, $2, p, $3, $4, $5 FROM unnest($6::uuid[]) AS p
         ON CONFLICT (campaign_id, occurrence_at, profile_id) DO UPDATE SET release_at = EXCLUDED.release_at, deferred_at = EXCLUDED.deferred_at`,
        [campaign.id, occurrenceAt, campaign.projectId, releaseAt, now, profileIds],
      );
      await this.releaseAt(manager, { projectId: campaign.projectId, campaignId: campaign.id, occurrenceAt: occurrenceAt.toISOString(), releaseAt: releaseAt.toISOString() }, releaseAt, 'start');
    }
  }

  /** A release job at `at` (`step` as in continueAt). */
  async releaseAt(manager: EntityManager, job: QuietReleaseJob, at: Date, step: string | null): Promise<void> {
    const id = step === null ? randomUUID() : nameBasedUuid(`${job.campaignId}:${job.occurrenceAt}:release:${job.releaseAt}:${step}`, JOB_ID_NAMESPACE);
    await this.jobs.schedule(QUIET_RELEASE_QUEUE, job, { id, startAfter: at, manager });
  }

  /** Resumes a paused campaign: every occurrence not done, and every group of profiles held by quiet hours, gets a job now (or at its time). */
  async resume(manager: EntityManager, projectId: string, campaignId: string, now: Date): Promise<void> {
    const open = (await manager.query(`SELECT occurrence_at FROM campaign_occurrence WHERE campaign_id = $1 AND project_id = $2 AND status <> 'done'`, [
      campaignId,
      projectId,
    ])) as { occurrence_at: Date }[];
    for (const { occurrence_at } of open) {
      await this.continueAt(manager, { projectId, campaignId, occurrenceAt: occurrence_at.toISOString() }, occurrence_at > now ? occurrence_at : now, null);
    }
    const held = (await manager.query(`SELECT DISTINCT occurrence_at, release_at FROM campaign_quiet_deferral WHERE campaign_id = $1 AND project_id = $2`, [campaignId, projectId])) as {
      occurrence_at: Date;
      release_at: Date;
    }[];
    for (const { occurrence_at, release_at } of held) {
      await this.releaseAt(manager, { projectId, campaignId, occurrenceAt: occurrence_at.toISOString(), releaseAt: release_at.toISOString() }, release_at > now ? release_at : now, null);
    }
  }

  /** Whether the campaign has sends to come: an occurrence not done, or profiles held by quiet hours. */
  async hasOpenWork(manager: EntityManager, campaignId: string): Promise<boolean> {
    const [open] = (await manager.query(
      `SELECT 1 FROM campaign_occurrence WHERE campaign_id = $1 AND status <> 'done'
       UNION ALL SELECT 1 FROM campaign_quiet_deferral WHERE campaign_id = $1 LIMIT 1`,
      [campaignId],
    )) as unknown[];
    return open !== undefined;
  }
}
