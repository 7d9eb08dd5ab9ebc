import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CampaignStats } from './campaign-stats.model.js';

/** Counts of a campaign's decisions, from `campaign_delivery` and `campaign_occurrence`. */
@Injectable()
export class CampaignStatsService {
  constructor(private readonly dataSource: DataSource) {}

  async of(projectId: string, campaignId: string): Promise<CampaignStats> {
    const rows = (await this.dataSource.query(
      `SELECT outcome, reason, count(*)::int AS count FROM campaign_delivery WHERE project_id = $1 AND campaign_id = $2 GROUP BY outcome, reason ORDER BY count DESC, reason`,
      [projectId, campaignId],
    )) as { outcome: string; reason: string | null; count: number }[];
    const [{ done }] = (await this.dataSource.query(`SELECT count(*)::int AS done FROM campaign_occurrence WHERE project_id = $1 AND campaign_id = $2 AND status = 'done'`, [
      projectId,
      campaignId,
    ])) as [{ done: number }];
    const skipped = rows.filter((row) => row.outcome === 'skipped').map((row) => ({ reason: row.reason!, count: row.count }));
    return {
      targeted: rows.reduce((sum, row) => sum + row.count, 0),
      requested: rows.find((row) => row.outcome === 'requested')?.count ?? 0,
      controlSize: skipped.find((row) => row.reason === 'CONTROL_GROUP')?.count ?? 0,
      skipped,
      occurrencesDone: done,
    };
  }
}
