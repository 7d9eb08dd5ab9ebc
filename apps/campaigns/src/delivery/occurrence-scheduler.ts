import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v5 as nameBasedUuid } from 'uuid';
import { ProfileZones } from '../audience/profile-zones.js';
import { firstOccurrence, occurrenceAfter } from '../campaigns/campaign-definition.js';
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

/**
 * The zone that reaches a wall-clock time last (UTC−12): a series' closing row (no zones, nobody
 * sent) runs then, so a campaign in profile zones is not completed while a zone that appears late
 * could still reach the series' local time.
 */
export const LAST_ZONE = 'Etc/GMT+12';
const DAY_MS = 86_400_000;

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
   * The first occurrence of a campaign that starts sending; with `inProfileTimeZone`, the first
   * series (see scheduleSeries). False when the schedule has none left.
   */
  async scheduleFirst(manager: EntityManager, campaign: CampaignEntity, now: Date): Promise<boolean> {
    const schedule = campaign.schedule;
    if (schedule?.inProfileTimeZone) {
      // Once: every zone, a zone whose time has passed at once (as scheduled). Recurring: the first series with a zone still ahead.
      if (!schedule.rrule) return this.scheduleSeries(manager, campaign, schedule.startAt, now, false);
      const from = new Date(Math.max(schedule.startAt.getTime(), now.getTime() - 2 * DAY_MS));
      return this.scheduleSeriesFrom(manager, campaign, occurrenceAfter(schedule, from, true), now);
    }
    const first = firstOccurrence(schedule, now);
    if (!first) return false;
    await this.schedule(manager, campaign.projectId, campaign.id, first);
    return true;
  }

  /** A recurring campaign in profile zones: the series after `seriesAt` (its occurrence of `seriesAt` has run somewhere). */
  async scheduleNextSeries(manager: EntityManager, campaign: CampaignEntity, seriesAt: Date, now: Date): Promise<boolean> {
    // After a long pause, start two days back rather than walk every missed series.
    return this.scheduleSeriesFrom(manager, campaign, occurrenceAfter(campaign.schedule, new Date(Math.max(seriesAt.getTime(), now.getTime() - 2 * DAY_MS))), now);
  }

  /** The first series from `series` on that still reaches its local time somewhere after `now` (zones it passed get the next one); false when none is left. */
  private async scheduleSeriesFrom(manager: EntityManager, campaign: CampaignEntity, series: Date | null, now: Date): Promise<boolean> {
    for (let next = series; next; next = occurrenceAfter(campaign.schedule, next)) {
      if (localTimeInstants(next, campaign.schedule!.timeZone, [LAST_ZONE]).keys().next().value! >= now.getTime()) return this.scheduleSeries(manager, campaign, next, now, true);
    }
    return false;
  }

  /**
   * One series of a campaign in profile zones: the schedule's occurrence `seriesAt` (a wall-clock
   * time in its zone) at that local time in each zone of the project's profiles (and the project's
   * zone, for profiles without one): one row per distinct instant, listing its zones, plus a closing
   * row at LAST_ZONE's instant. `skipPast`: zones whose instant is before `now` are left out.
   */
  private async scheduleSeries(manager: EntityManager, campaign: CampaignEntity, seriesAt: Date, now: Date, skipPast: boolean): Promise<boolean> {
    const { timeZone } = await this.settings.get(campaign.projectId, manager);
    const instants = localTimeInstants(seriesAt, campaign.schedule!.timeZone, [...(await this.zones.zonesOf(manager, campaign.projectId)), timeZone]);
    for (const [at, zones] of instants) {
      if (!skipPast || at >= now.getTime()) await this.schedule(manager, campaign.projectId, campaign.id, new Date(at), zones, seriesAt);
    }
    const [closing] = localTimeInstants(seriesAt, campaign.schedule!.timeZone, [LAST_ZONE]).keys();
    await this.schedule(manager, campaign.projectId, campaign.id, new Date(closing!), [], seriesAt);
    return true;
  }

  /**
   * An occurrence at `at` (for the profiles in `timeZones` only, when given; of the series
   * `seriesAt`, when given), run by a job due then. An occurrence of the same series already at
   * that instant and not started takes the zones it lacks; one of another series moves this one a
   * millisecond on (series never share a row: each sends a profile once). True when a row not yet
   * started covers the zones at that instant (or one was made).
   */
  async schedule(manager: EntityManager, projectId: string, campaignId: string, at: Date, timeZones: readonly string[] | null = null, seriesAt: Date | null = null): Promise<boolean> {
    for (let instant = at, attempt = 0; attempt < 5; instant = new Date(instant.getTime() + 1), attempt++) {
      const [row] = (await manager.query(
        `INSERT INTO campaign_occurrence AS o (campaign_id, occurrence_at, project_id, time_zones, series_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (campaign_id, occurrence_at) DO UPDATE SET time_zones = ARRAY(SELECT DISTINCT z FROM unnest(o.time_zones || EXCLUDED.time_zones) AS z ORDER BY z)
         WHERE o.status = 'pending' AND o.series_at IS NOT DISTINCT FROM EXCLUDED.series_at AND o.time_zones IS NOT NULL AND NOT (EXCLUDED.time_zones <@ o.time_zones)
         RETURNING (xmax = 0) AS inserted`,
        [campaignId, instant, projectId, timeZones, seriesAt],
      )) as { inserted: boolean }[];
      if (row?.inserted) await this.continueAt(manager, { projectId, campaignId, occurrenceAt: instant.toISOString() }, instant, 'start');
      if (row) return true;
      const [existing] = (await manager.query(`SELECT status, series_at, time_zones FROM campaign_occurrence WHERE campaign_id = $1 AND occurrence_at = $2`, [campaignId, instant])) as {
        status: string;
        series_at: Date | null;
        time_zones: string[] | null;
      }[];
      if (!existing || existing.series_at?.getTime() === seriesAt?.getTime()) {
        return existing?.status === 'pending' && (existing.time_zones === null || (timeZones ?? []).every((zone) => existing.time_zones!.includes(zone)));
      }
    }
    return false;
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
