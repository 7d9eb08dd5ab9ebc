import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CampaignStats } from './campaign-stats.model.js';
import { liftOf } from './lift.js';

/** Counts of a campaign's decisions, from `campaign_delivery` and `campaign_occurrence`. */
@Injectable()
export class CampaignStatsService {
  constructor(private readonly dataSource: DataSource) {}

  async of(projectId: string, campaignId: string, hasGoal: boolean): Promise<CampaignStats> {
    const rows = (await this.dataSource.query(
      `SELECT outcome, reason, count(*)::int AS count FROM campaign_delivery WHERE project_id = $1 AND campaign_id = $2 GROUP BY outcome, reason ORDER BY count DESC, reason`,
      [projectId, campaignId],
    )) as { outcome: string; reason: string | null; count: number }[];
    const [{ done }] = (await this.dataSource.query(`SELECT count(*)::int AS done FROM campaign_occurrence WHERE project_id = $1 AND campaign_id = $2 AND status = 'done'`, [
      projectId,
      campaignId,
    ])) as [{ done: number }];
    const [groups] = (await this.dataSource.query(
      `SELECT count(DISTINCT d.profile_id) FILTER (WHERE d.outcome = 'requested')::int AS test,
              count(DISTINCT d.profile_id) FILTER (WHERE d.reason = 'CONTROL_GROUP')::int AS control,
              (SELECT count(*) FILTER (WHERE NOT control) FROM campaign_conversion WHERE project_id = $1 AND campaign_id = $2)::int AS converted,
              (SELECT count(*) FILTER (WHERE control) FROM campaign_conversion WHERE project_id = $1 AND campaign_id = $2)::int AS control_converted
       FROM campaign_delivery d WHERE d.project_id = $1 AND d.campaign_id = $2`,
      [projectId, campaignId],
    )) as [{ test: number; control: number; converted: number; control_converted: number }];
    const skipped = rows.filter((row) => row.outcome === 'skipped').map((row) => ({ reason: row.reason!, count: row.count }));
    return {
      targeted: rows.reduce((sum, row) => sum + row.count, 0),
      requested: rows.find((row) => row.outcome === 'requested')?.count ?? 0,
      controlSize: skipped.find((row) => row.reason === 'CONTROL_GROUP')?.count ?? 0,
      skipped,
      occurrencesDone: done,
      converted: groups.converted,
      controlConverted: groups.control_converted,
      lift: hasGoal ? liftOf({ size: groups.test, converted: groups.converted }, { size: groups.control, converted: groups.control_converted }) : null,
    };
  }
}
