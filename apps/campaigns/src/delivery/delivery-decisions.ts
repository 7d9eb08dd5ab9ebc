import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileZones } from '../audience/profile-zones.js';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { QuietHoursBehavior } from '../campaigns/campaign.model.js';
import { ChannelDispatch } from '../channels/channel-dispatch.js';
import { dayExcluded } from '../schedules/day-rule.js';
import { variantOf } from '../variants/campaign-variants.js';
import type { DeliverySettings } from '../settings/delivery-settings.js';
import { inControlGroup, inHoldout, quietHoursEnd, SkipReason } from './delivery-policy.js';

const MINUTE_MS = 60_000;

/** What a send carries besides the campaign's content: the triggering event's properties (triggered campaigns). */
export interface SendContext {
  event?: Record<string, unknown> | null;
}

/** What a call decided: the profiles newly requested, and those a deferring campaign holds until their quiet hours end (by that end, ms). */
export interface Delivered {
  sent: string[];
  deferred: Map<number, string[]>;
}

/** The idempotency key of one campaign message: a restart or a redelivery never sends it twice. */
export const idempotencyKeyOf = (campaignId: string, occurrenceAt: Date, profileId: string): string => `campaign:${campaignId}:${occurrenceAt.getTime()}:${profileId}`;

/**
 * The delivery rules every send of a campaign goes through, scheduled or triggered: holdout,
 * control group, quiet hours (in each profile's own zone, the project's for a profile without
 * one: a DROP campaign records QUIET_HOURS, a DEFER campaign records nothing yet and hands the
 * profile back with its window's end), weekends and holidays, frequency cap and minimum gap; each
 * decision is recorded once in `campaign_delivery`, and the sends among the new ones are
 * published to the campaign's channel (ChannelDispatch) in the caller's transaction.
 */
@Injectable()
export class DeliveryDecisions {
  constructor(
    private readonly channels: ChannelDispatch,
    private readonly zones: ProfileZones,
  ) {}

  /**
   * Decides and records; returns the profiles newly requested and those deferred by quiet hours
   * (not recorded: the caller holds them until then). Takes the project's lock: caps count the project's earlier sends.
   */
  async deliver(
    manager: EntityManager,
    campaign: CampaignEntity,
    settings: DeliverySettings,
    occurrenceAt: Date,
    profileIds: readonly string[],
    now: Date,
    context: SendContext = {},
  ): Promise<Delivered> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [`campaigns:deliveries:${campaign.projectId}`]);
    const deferred = new Map<number, string[]>();
    const decisions = await this.decide(manager, campaign, settings, profileIds, now, deferred);
    return { sent: await this.record(manager, campaign, occurrenceAt, decisions, now, context), deferred };
  }

  /** Records the same skip for each of these profiles, decided before the rules (PAUSED); nothing is sent. */
  async skip(manager: EntityManager, campaign: CampaignEntity, occurrenceAt: Date, profileIds: readonly string[], reason: SkipReason, now: Date): Promise<void> {
    await this.record(manager, campaign, occurrenceAt, new Map(profileIds.map((profileId) => [profileId, reason])), now, {});
  }

  private async decide(
    manager: EntityManager,
    campaign: CampaignEntity,
    settings: DeliverySettings,
    profileIds: readonly string[],
    now: Date,
    deferred: Map<number, string[]>,
  ): Promise<Map<string, SkipReason | null>> {
    const decisions = new Map<string, SkipReason | null>();
    const candidates: string[] = [];
    for (const profileId of profileIds) {
      if (inHoldout(campaign.projectId, profileId, settings.holdoutPercent)) decisions.set(profileId, SkipReason.HOLDOUT);
      else if (inControlGroup(campaign.id, profileId, campaign.controlPercent)) decisions.set(profileId, SkipReason.CONTROL_GROUP);
      else candidates.push(profileId);
    }
    const places = (settings.quietHours || campaign.dayRule) && candidates.length > 0 ? await this.zones.placesOf(manager, campaign.projectId, candidates) : null;
    if (settings.quietHours && places) {
      // One window end per zone (the project's for profiles without one).
      const ends = new Map<string, Date | null>();
      const endIn = (zone: string) => {
        if (!ends.has(zone)) ends.set(zone, quietHoursEnd(now, { timeZone: zone, quietHours: settings.quietHours }));
        return ends.get(zone)!;
      };
      const open = candidates.filter((profileId) => {
        const until = endIn(places.get(profileId)?.timeZone ?? settings.timeZone);
        if (!until) return true;
        if (campaign.quietHours === QuietHoursBehavior.DROP) decisions.set(profileId, SkipReason.QUIET_HOURS);
        else if (deferred.has(until.getTime())) deferred.get(until.getTime())!.push(profileId);
        else deferred.set(until.getTime(), [profileId]);
        return false;
      });
      candidates.splice(0, candidates.length, ...open);
    }
    if (campaign.dayRule && places && candidates.length > 0) {
      const open = candidates.filter((profileId) => {
        const place = places.get(profileId);
        if (!dayExcluded(campaign.dayRule!, now, place?.timeZone ?? settings.timeZone, place?.country ?? null)) return true;
        decisions.set(profileId, SkipReason.DAY_RULE);
        return false;
      });
      candidates.splice(0, candidates.length, ...open);
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

  /**
   * Stores the decisions not stored yet and hands the sends among them to the channel, in the
   * caller's transaction. A campaign with variants records each send's variant (control and other
   * skips have none) and sends each variant's group with that variant's template.
   */
  private async record(manager: EntityManager, campaign: CampaignEntity, occurrenceAt: Date, decisions: Map<string, SkipReason | null>, now: Date, context: SendContext): Promise<string[]> {
    const ids = [...decisions.keys()];
    const reasons = ids.map((id) => decisions.get(id) ?? null);
    const variants = ids.map((id, index) => (campaign.variants && reasons[index] === null ? variantOf(campaign.id, id, campaign.variants, campaign.variantWinner).key : null));
    const inserted = (await manager.query(
      `INSERT INTO campaign_delivery (campaign_id, occurrence_at, profile_id, project_id, channel, outcome, reason, decided_at, variant)
       SELECT $1, $2, d.profile_id, $3, $4, CASE WHEN d.reason IS NULL THEN 'requested' ELSE 'skipped' END, d.reason, $5, d.variant
       FROM unnest($6::uuid[], $7::text[], $8::text[]) AS d (profile_id, reason, variant)
       ON CONFLICT DO NOTHING
       RETURNING profile_id, outcome, variant`,
      [campaign.id, occurrenceAt, campaign.projectId, campaign.channel, now, ids, reasons, variants],
    )) as { profile_id: string; outcome: string; variant: string | null }[];
    const sends = inserted.filter((row) => row.outcome === 'requested');
    const groups = new Map<string | null, string[]>();
    for (const row of sends) groups.set(row.variant, [...(groups.get(row.variant) ?? []), row.profile_id]);
    for (const [key, profileIds] of groups) {
      const variant = key === null ? undefined : campaign.variants?.find((candidate) => candidate.key === key);
      const content = variant ? { ...campaign, templateId: variant.templateId, templateVersion: variant.templateVersion } : campaign;
      await this.channels.dispatch(
        manager,
        content,
        profileIds.map((profileId) => ({ profileId, occurrenceAt, idempotencyKey: idempotencyKeyOf(campaign.id, occurrenceAt, profileId), variant: key, event: context.event ?? null })),
        now,
      );
    }
    return sends.map((row) => row.profile_id);
  }
}
