import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CampaignStats, CampaignStatsPeriod, CampaignVariantStats, StatsInterval } from './campaign-stats.model.js';
import type { EngagementKind } from './engagement-ledger.js';
import { liftOf, type GroupOutcome } from './lift.js';

/** Counts of a campaign's decisions, from `campaign_delivery` and `campaign_occurrence`. */
@Injectable()
export class CampaignStatsService {
  constructor(private readonly dataSource: DataSource) {}

  async of(projectId: string, campaignId: string, hasGoal: boolean): Promise<CampaignStats> {
    const rows = (await this.dataSource.query(
      `SELECT outcome, reason, count(*)::int AS count FROM campaign_delivery WHERE project_id = $1 AND campaign_id = $2 GROUP BY outcome, reason ORDER BY count DESC, reason`,
      [projectId, campaignId],
    )) as { outcome: string; reason: string | null; count: number }[];
    const [{ done, held }] = (await this.dataSource.query(
      `SELECT (SELECT count(*) FROM campaign_occurrence WHERE project_id = $1 AND campaign_id = $2 AND status = 'done')::int AS done,
              (SELECT count(*) FROM campaign_quiet_deferral WHERE project_id = $1 AND campaign_id = $2)::int AS held`,
      [projectId, campaignId],
    )) as [{ done: number; held: number }];
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
      held,
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
      variants: await this.variants(projectId, campaignId, hasGoal, { size: groups.control, converted: groups.control_converted }),
    };
  }

  /** Per variant: its sends, each stage reached, its conversions and its lift over the control group. */
  private async variants(projectId: string, campaignId: string, hasGoal: boolean, control: GroupOutcome): Promise<CampaignVariantStats[]> {
    const rows = (await this.dataSource.query(
      `WITH sent_to AS (
         SELECT DISTINCT ON (profile_id) profile_id, variant FROM campaign_delivery
         WHERE project_id = $1 AND campaign_id = $2 AND outcome = 'requested' AND variant IS NOT NULL ORDER BY profile_id, decided_at DESC
       )
       SELECT s.variant, 'requested' AS kind, count(*)::int AS count FROM sent_to s GROUP BY s.variant
       UNION ALL
       SELECT s.variant, e.kind, count(*)::int FROM sent_to s JOIN campaign_engagement e ON e.campaign_id = $2 AND e.profile_id = s.profile_id GROUP BY s.variant, e.kind
       UNION ALL
       SELECT s.variant, 'converted', count(*)::int FROM sent_to s JOIN campaign_conversion c ON c.campaign_id = $2 AND c.profile_id = s.profile_id AND NOT c.control GROUP BY s.variant`,
      [projectId, campaignId],
    )) as { variant: string; kind: string; count: number }[];
    const byVariant = new Map<string, Record<string, number>>();
    for (const row of rows) byVariant.set(row.variant, { ...byVariant.get(row.variant), [row.kind]: row.count });
    return [...byVariant.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([variant, counts]) => {
        const count = (kind: string) => counts[kind] ?? 0;
        return {
          variant,
          requested: count('requested'),
          sent: count('sent'),
          delivered: count('delivered'),
          opened: count('opened'),
          clicked: count('clicked'),
          converted: count('converted'),
          lift: hasGoal ? liftOf({ size: count('requested'), converted: count('converted') }, control) : null,
        };
      });
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
