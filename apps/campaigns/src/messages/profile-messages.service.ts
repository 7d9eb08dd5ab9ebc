import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { isUuid } from '@boomerang/platform/subgraph';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import type { CampaignChannel } from '../campaigns/campaign.model.js';

export interface ProfileMessageView {
  campaign: CampaignEntity;
  channel: CampaignChannel;
  occurrenceAt: Date;
  decidedAt: Date;
  sent: boolean;
  skipReason: string | null;
  engagement: string[];
}

interface Row {
  profile_id: string;
  campaign_id: string;
  channel: CampaignChannel;
  occurrence_at: Date;
  decided_at: Date;
  outcome: string;
  reason: string | null;
  engagement: string[];
}

export const MAX_PROFILE_MESSAGES = 100;
/** The order `engagement` lists stages in (a message's life, not the order reports arrived). */
const ENGAGEMENT_STAGES = ['sent', 'delivered', 'opened', 'clicked', 'dismissed', 'bounced', 'unsubscribed', 'failed'];

/** Each profile's campaign decisions (newest first) with the engagement they led to; one query for all the profiles of a request. */
@Injectable()
export class ProfileMessages {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async of(projectId: string, profileIds: readonly string[], limit: number): Promise<ProfileMessageView[][]> {
    const valid = profileIds.filter(isUuid);
    const capped = Math.min(Math.max(limit, 1), MAX_PROFILE_MESSAGES);
    const rows = valid.length
      ? ((await this.dataSource.query(
          `SELECT d.profile_id, d.campaign_id, d.channel, d.occurrence_at, d.decided_at, d.outcome, d.reason,
                  coalesce((SELECT array_agg(e.kind ORDER BY array_position($4::text[], e.kind)) FROM campaign_engagement e WHERE e.campaign_id = d.campaign_id AND e.profile_id = d.profile_id), '{}') AS engagement
           FROM unnest($2::uuid[]) AS p (id)
           CROSS JOIN LATERAL (
             SELECT * FROM campaign_delivery d WHERE d.project_id = $1 AND d.profile_id = p.id ORDER BY d.decided_at DESC, d.campaign_id LIMIT $3
           ) d`,
          [projectId, valid, capped, ENGAGEMENT_STAGES],
        )) as Row[])
      : [];
    const campaigns = new Map<string, CampaignEntity>();
    const campaignIds = [...new Set(rows.map((row) => row.campaign_id))];
    if (campaignIds.length) {
      for (const campaign of await this.dataSource.getRepository(CampaignEntity).createQueryBuilder('c').where('c.project_id = :projectId AND c.id = ANY(:ids)', { projectId, ids: campaignIds }).getMany())
        campaigns.set(campaign.id, campaign);
    }
    const byProfile = new Map<string, ProfileMessageView[]>();
    for (const row of rows) {
      const campaign = campaigns.get(row.campaign_id);
      if (!campaign) continue;
      const list = byProfile.get(row.profile_id) ?? [];
      list.push({ campaign, channel: row.channel, occurrenceAt: row.occurrence_at, decidedAt: row.decided_at, sent: row.outcome === 'requested', skipReason: row.reason, engagement: row.engagement });
      byProfile.set(row.profile_id, list);
    }
    return profileIds.map((id) => byProfile.get(id) ?? []);
  }
}
