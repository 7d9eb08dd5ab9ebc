import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** What happened to a campaign's message for a profile, as stats count it (once per profile; `times` counts repeats). */
export type EngagementKind = 'sent' | 'delivered' | 'opened' | 'clicked' | 'dismissed' | 'bounced' | 'unsubscribed' | 'failed';

/** `campaign_engagement`: the first time each profile reached each stage of a campaign's message. */
@Injectable()
export class EngagementLedger {
  async record(manager: EntityManager, projectId: string, campaignId: string, kind: EngagementKind, profileIds: readonly string[], at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO campaign_engagement (campaign_id, profile_id, kind, project_id, first_at)
       SELECT c.id, p.profile_id, $3, c.project_id, $5
       FROM unnest($4::uuid[]) AS p (profile_id) JOIN campaign c ON c.id = $2 AND c.project_id = $1
       ON CONFLICT (campaign_id, profile_id, kind) DO UPDATE SET times = campaign_engagement.times + 1, first_at = least(campaign_engagement.first_at, EXCLUDED.first_at)`,
      [projectId, campaignId, kind, profileIds, at],
    );
  }
}
