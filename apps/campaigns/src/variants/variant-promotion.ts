import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { v5 as nameBasedUuid } from 'uuid';
import { LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignJobs } from '../jobs/campaign-jobs.js';

export const VARIANT_PROMOTION_QUEUE = 'campaign-variant-promotion';
const JOB_ID_NAMESPACE = 'e1b7f6a2-3c4d-4e8f-9a0b-1c2d3e4f5a6b';

interface VariantPromotionJob {
  projectId: string;
  campaignId: string;
}

/**
 * Ends a campaign's A/B test: a durable job at `variant_test_ends_at` promotes the variant whose
 * sends converted best (the goal's conversions over the profiles sent it; ties: the earlier
 * variant); from then on every send gets the winner. Without a goal nothing is promoted.
 */
@Injectable()
export class VariantPromotion {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: CampaignJobs,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    jobs.register<VariantPromotionJob>({ name: VARIANT_PROMOTION_QUEUE, handle: (job) => this.execute(job) });
  }

  /** In the caller's transaction: the promotion job at the end of the test phase (one per campaign and end). */
  async schedule(manager: EntityManager, projectId: string, campaignId: string, endsAt: Date): Promise<void> {
    await this.jobs.schedule(VARIANT_PROMOTION_QUEUE, { projectId, campaignId }, { id: nameBasedUuid(`${campaignId}:${endsAt.getTime()}`, JOB_ID_NAMESPACE), startAfter: endsAt, manager });
  }

  async execute({ projectId, campaignId }: VariantPromotionJob): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const campaign = await manager.findOne(CampaignEntity, { where: { id: campaignId, projectId }, lock: { mode: 'pessimistic_write' } });
      if (!campaign?.variants || campaign.variantWinner || !campaign.goalEvent) return;
      const rows = (await manager.query(
        `SELECT d.variant, count(DISTINCT d.profile_id)::int AS sent, count(DISTINCT c.profile_id)::int AS converted
         FROM campaign_delivery d
         LEFT JOIN campaign_conversion c ON c.campaign_id = d.campaign_id AND c.profile_id = d.profile_id AND NOT c.control
         WHERE d.project_id = $1 AND d.campaign_id = $2 AND d.outcome = 'requested' AND d.variant IS NOT NULL
         GROUP BY d.variant`,
        [projectId, campaignId],
      )) as { variant: string; sent: number; converted: number }[];
      const rate = (key: string) => {
        const row = rows.find((candidate) => candidate.variant === key);
        return row && row.sent > 0 ? row.converted / row.sent : -1;
      };
      const winner = campaign.variants.reduce((best, variant) => (rate(variant.key) > rate(best.key) ? variant : best));
      if (rate(winner.key) < 0) return;
      await manager.update(CampaignEntity, { id: campaignId, projectId }, { variantWinner: winner.key });
      this.logger.info({ campaignId, winner: winner.key }, 'campaign variant promoted');
    });
  }
}
