import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CampaignAudienceValue } from '../campaigns/campaign.entity.js';

/** The profiles a campaign targets, read page by page in profile id order from campaigns' projections. */
@Injectable()
export class CampaignAudience {
  /** Up to `limit` targeted profile ids after `afterProfileId` (null: from the first). */
  async page(manager: EntityManager, projectId: string, audience: CampaignAudienceValue, afterProfileId: string | null, limit: number): Promise<string[]> {
    const excluded = `NOT EXISTS (SELECT 1 FROM campaign_segment_member x WHERE x.segment_id = ANY($3::uuid[]) AND x.profile_id = t.profile_id)`;
    if (audience.everyone) {
      const rows = (await manager.query(
        `SELECT t.profile_id FROM known_profile t
         WHERE t.project_id = $1 AND t.forgotten_at IS NULL AND ($2::uuid IS NULL OR t.profile_id > $2) AND ${excluded}
         ORDER BY t.profile_id LIMIT $4`,
        [projectId, afterProfileId, audience.exclude, limit],
      )) as { profile_id: string }[];
      return rows.map((row) => row.profile_id);
    }
    if (audience.include.length === 0) return [];
    const rows = (await manager.query(
      `SELECT DISTINCT t.profile_id FROM campaign_segment_member t
       WHERE t.project_id = $1 AND t.segment_id = ANY($5::uuid[]) AND ($2::uuid IS NULL OR t.profile_id > $2) AND ${excluded}
       ORDER BY t.profile_id LIMIT $4`,
      [projectId, afterProfileId, audience.exclude, limit, audience.include],
    )) as { profile_id: string }[];
    return rows.map((row) => row.profile_id);
  }
}
