import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import type { EntityManager } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { ProfileZones, type ZoneChanges } from '../audience/profile-zones.js';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignStatus } from '../campaigns/campaign.model.js';
import { DeliverySettingsRepository } from '../settings/delivery-settings.repository.js';
import { localTimeInstants } from './local-time.js';
import { OccurrenceScheduler } from './occurrence-scheduler.js';

const MINUTE_MS = 60_000;

/**
 * Sends at a local time in each profile's zone follow profiles whose zone is learnt (or changes)
 * after the occurrences were scheduled: for each open series (one with a row not done yet; the
 * closing row keeps a series open until every zone has passed its local time) of each sending
 * campaign in profile zones, the new zone's instant gets a row (or joins the series' row already
 * at that instant). An instant already past: with `catchUpLateZones`, when it is still the same
 * local day in that zone, a catch-up row at the next minute; else the profile waits for its zone's
 * next series (a one-time send: none). A profile is sent once per series (CampaignAudience), so one
 * that moves after it was sent is not sent again.
 */
@Injectable()
export class LateZones {
  constructor(
    private readonly profileZones: ProfileZones,
    private readonly scheduler: OccurrenceScheduler,
    private readonly settings: DeliverySettingsRepository,
    private readonly clock: Clock,
  ) {
    profileZones.onZoneChange((manager, changes) => this.follow(manager, changes));
  }

  /**
   * A campaign in profile zones that resumes: zones learnt or changed while it was paused (the
   * follower skips paused campaigns) get their rows in its open series, by the same rules.
   */
  async coverAll(manager: EntityManager, campaign: CampaignEntity): Promise<void> {
    if (!campaign.schedule?.inProfileTimeZone) return;
    const now = this.clock.now();
    const { timeZone: projectZone } = await this.settings.get(campaign.projectId, manager);
    const zones = [...new Set([...(await this.profileZones.zonesOf(manager, campaign.projectId)), projectZone])];
    for (const seriesAt of await this.openSeries(manager, campaign.id)) for (const zone of zones) await this.cover(manager, campaign, seriesAt, zone, now);
  }

  private async openSeries(manager: EntityManager, campaignId: string): Promise<Date[]> {
    const rows = (await manager.query(`SELECT DISTINCT series_at FROM campaign_occurrence WHERE campaign_id = $1 AND series_at IS NOT NULL AND status <> 'done'`, [campaignId])) as {
      series_at: Date;
    }[];
    return rows.map((row) => row.series_at);
  }

  async follow(manager: EntityManager, changes: ZoneChanges): Promise<void> {
    const now = this.clock.now();
    for (const [projectId, moved] of changes) {
      const campaigns = await manager
        .createQueryBuilder(CampaignEntity, 'c')
        .where(`c.project_id = :projectId AND c.status IN (:...statuses) AND (c.schedule ->> 'inProfileTimeZone')::boolean`, {
          projectId,
          statuses: [CampaignStatus.SCHEDULED, CampaignStatus.RUNNING],
        })
        .getMany();
      if (campaigns.length === 0) continue;
      const { timeZone: projectZone } = await this.settings.get(projectId, manager);
      const zones = [...new Set(moved.map((change) => change.timeZone ?? projectZone))];
      for (const campaign of campaigns) {
        for (const seriesAt of await this.openSeries(manager, campaign.id)) for (const zone of zones) await this.cover(manager, campaign, seriesAt, zone, now);
      }
    }
  }

  private async cover(manager: EntityManager, campaign: CampaignEntity, seriesAt: Date, zone: string, now: Date): Promise<void> {
    const [at] = localTimeInstants(seriesAt, campaign.schedule!.timeZone, [zone]).keys();
    if (at! >= now.getTime() && (await this.scheduler.schedule(manager, campaign.projectId, campaign.id, new Date(at!), [zone], seriesAt))) return;
    // Past (or its instant's row has started): catch up today, if the campaign says so.
    const sameDay = DateTime.fromMillis(at!, { zone }).toISODate() === DateTime.fromJSDate(now, { zone }).toISODate();
    if (!campaign.schedule!.catchUpLateZones || !sameDay) return;
    for (let minute = Math.ceil(now.getTime() / MINUTE_MS), tries = 0; tries < 3; minute++, tries++) {
      if (await this.scheduler.schedule(manager, campaign.projectId, campaign.id, new Date(minute * MINUTE_MS), [zone], seriesAt)) return;
    }
  }
}
