import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CampaignAudienceValue } from '../campaigns/campaign.entity.js';

/** The profiles a campaign targets, read page by page in profile id order from campaigns' projections. */
@Injectable()
export class CampaignAudience {
  /**
   * Up to `limit` targeted profile ids after `afterProfileId` (null: from the first); with `zones`,
   * only profiles whose time zone (`fallback` when they have none) is listed; with `series`, only
   * profiles with no decision (nor quiet-hours hold) in any occurrence of that series of the campaign.
   * Read in index order, stopping at `limit` (each included segment's members apart, at most `limit`
   * each): a page costs the same at the audience's end as at its start.
   */
  async page(
    manager: EntityManager,
    projectId: string,
    audience: CampaignAudienceValue,
    afterProfileId: string | null,
    limit: number,
    zones: { list: readonly string[]; fallback: string } | null = null,
    series: { campaignId: string; at: Date } | null = null,
  ): Promise<string[]> {
    // $3: excluded segments; $zones, $zones + 1: the zones listed and the fallback zone; $zones + 2, $zones + 3: the campaign and its series.
    const excludedAndZoned = (zones: number) => `NOT EXISTS (SELECT 1 FROM campaign_segment_member x WHERE x.segment_id = ANY($3::uuid[]) AND x.profile_id = t.profile_id AND x.member)
      AND ($${zones}::text[] IS NULL OR coalesce((SELECT z.time_zone FROM campaign_profile_zone z WHERE z.project_id = $1 AND z.profile_id = t.profile_id), $${zones + 1}) = ANY($${zones}::text[]))
      AND ($${zones + 3}::timestamptz IS NULL OR NOT EXISTS (
        SELECT 1 FROM campaign_occurrence o WHERE o.campaign_id = $${zones + 2}::uuid AND o.series_at = $${zones + 3}::timestamptz
          AND (EXISTS (SELECT 1 FROM campaign_delivery d WHERE d.campaign_id = o.campaign_id AND d.occurrence_at = o.occurrence_at AND d.profile_id = t.profile_id)
            OR EXISTS (SELECT 1 FROM campaign_quiet_deferral q WHERE q.campaign_id = o.campaign_id AND q.occurrence_at = o.occurrence_at AND q.profile_id = t.profile_id))))`;
    if (!audience.everyone && audience.include.length === 0) return [];
    // With a fresh project's rows estimated far too few (not in the statistics yet), PostgreSQL reads every profile
    // after the cursor as a bitmap and sorts them, on each page; an index scan in order stops at the limit.
    await manager.query(`SET LOCAL enable_bitmapscan = off`);
    const rows = (
      audience.everyone
        ? await manager.query(
            `SELECT t.profile_id FROM known_profile t
             WHERE t.project_id = $1 AND t.forgotten_at IS NULL AND ($2::uuid IS NULL OR t.profile_id > $2) AND ${excludedAndZoned(5)}
             ORDER BY t.profile_id LIMIT $4`,
            [projectId, afterProfileId, audience.exclude, limit, zones?.list ?? null, zones?.fallback ?? null, series?.campaignId ?? null, series?.at ?? null],
          )
        : // The first `limit` of the union are among each segment's first `limit`.
          await manager.query(
            `SELECT DISTINCT p.profile_id FROM unnest($5::uuid[]) AS s (segment_id)
             CROSS JOIN LATERAL (
               SELECT t.profile_id FROM campaign_segment_member t
               WHERE t.project_id = $1 AND t.segment_id = s.segment_id AND t.member AND ($2::uuid IS NULL OR t.profile_id > $2) AND ${excludedAndZoned(6)}
               ORDER BY t.profile_id LIMIT $4) AS p
             ORDER BY p.profile_id LIMIT $4`,
            [projectId, afterProfileId, audience.exclude, limit, audience.include, zones?.list ?? null, zones?.fallback ?? null, series?.campaignId ?? null, series?.at ?? null],
          )
    ) as { profile_id: string }[];
    await manager.query(`SET LOCAL enable_bitmapscan TO DEFAULT`);
    return rows.map((row) => row.profile_id);
  }

  /**
   * Whether a triggered campaign targets the profile that fired it: anyone (no audience given),
   * a known profile (everyone) or a member of an included segment, and in no excluded segment.
   */
  async includes(manager: EntityManager, projectId: string, audience: CampaignAudienceValue, profileId: string): Promise<boolean> {
    // No audience given: anyone, nothing to ask (the query below answers the same; one round trip per firing less).
    if (!audience.everyone && audience.include.length === 0 && audience.exclude.length === 0) return true;
    const [row] = (await manager.query(
      `SELECT (NOT $3::boolean AND cardinality($4::uuid[]) = 0
               OR $3::boolean AND EXISTS (SELECT 1 FROM known_profile WHERE project_id = $1 AND profile_id = $2 AND forgotten_at IS NULL)
               OR EXISTS (SELECT 1 FROM campaign_segment_member WHERE project_id = $1 AND segment_id = ANY($4::uuid[]) AND profile_id = $2 AND member))
              AND NOT EXISTS (SELECT 1 FROM campaign_segment_member WHERE project_id = $1 AND segment_id = ANY($5::uuid[]) AND profile_id = $2 AND member) AS targeted`,
      [projectId, profileId, audience.everyone, audience.include, audience.exclude],
    )) as { targeted: boolean }[];
    return row?.targeted === true;
  }
}
