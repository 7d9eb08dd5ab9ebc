import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CampaignStats, CampaignStatsPeriod, StatsInterval } from './campaign-stats.model.js';
import type { EngagementKind } from './engagement-ledger.js';
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
    const engagement = (await this.dataSource.query(`SELECT kind, count(*)::int AS count FROM campaign_engagement WHERE project_id = $1 AND campaign_id = $2 GROUP BY kind`, [
      projectId,
      campaignId,
    ])) as { kind: EngagementKind; count: number }[];
    const reached = (kind: EngagementKind) => engagement.find((row) => row.kind === kind)?.count ?? 0;
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
      sent: reached('sent'),
      delivered: reached('delivered'),
      opened: reached('opened'),
      clicked: reached('clicked'),
      dismissed: reached('dismissed'),
      bounced: reached('bounced'),
      unsubscribed: reached('unsubscribed'),
      failed: reached('failed'),
    };
  }

  /** Per hour or day (UTC), oldest first, only periods where something happened. */
  async timeline(projectId: string, campaignId: string, interval: StatsInterval): Promise<CampaignStatsPeriod[]> {
    const rows = (await this.dataSource.query(
      `WITH facts AS (
         SELECT date_trunc($3, decided_at, 'UTC') AS start, 'targeted' AS kind FROM campaign_delivery WHERE project_id = $1 AND campaign_id = $2
         UNION ALL SELECT date_trunc($3, decided_at, 'UTC'), 'requested' FROM campaign_delivery WHERE project_id = $1 AND campaign_id = $2 AND outcome = 'requested'
         UNION ALL SELECT date_trunc($3, first_at, 'UTC'), kind FROM campaign_engagement WHERE project_id = $1 AND campaign_id = $2
         UNION ALL SELECT date_trunc($3, converted_at, 'UTC'), 'converted' FROM campaign_conversion WHERE project_id = $1 AND campaign_id = $2 AND NOT control
       )
       SELECT start, kind, count(*)::int AS count FROM facts GROUP BY start, kind ORDER BY start`,
      [projectId, campaignId, interval],
    )) as { start: Date; kind: string; count: number }[];
    const periods = new Map<number, CampaignStatsPeriod>();
    for (const row of rows) {
      let period = periods.get(row.start.getTime());
      if (!period) periods.set(row.start.getTime(), (period = { start: row.start, targeted: 0, requested: 0, sent: 0, delivered: 0, opened: 0, clicked: 0, converted: 0 }));
      if (row.kind in period && row.kind !== 'start') (period as unknown as Record<string, number>)[row.kind] = row.count;
    }
    return [...periods.values()];
  }
}
