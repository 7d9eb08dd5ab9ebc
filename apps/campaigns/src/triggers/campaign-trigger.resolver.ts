import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { Campaign } from '../campaigns/campaign.model.js';
import { CampaignTrigger, CampaignWarning } from './campaign-trigger.model.js';

/** Campaign fields about triggers: the trigger, and warnings on it. */
@Resolver(() => Campaign)
export class CampaignTriggerResolver {
  constructor(private readonly dataSource: DataSource) {}

  @ResolveField(() => CampaignTrigger, { nullable: true, description: 'null: the campaign sends on its schedule, not on a trigger.' })
  trigger(@Parent() campaign: CampaignEntity): CampaignTrigger | null {
    return campaign.trigger;
  }

  @ResolveField(() => [CampaignWarning], { description: 'What may keep the campaign from sending as meant, e.g. a trigger event never seen in this project.' })
  async warnings(@Parent() campaign: CampaignEntity): Promise<CampaignWarning[]> {
    const names = [campaign.trigger?.event?.name, campaign.trigger?.since?.event].filter((name): name is string => Boolean(name));
    if (names.length === 0) return [];
    const rows = (await this.dataSource.query(`SELECT name FROM campaign_event_name WHERE project_id = $1 AND name = ANY($2::text[])`, [campaign.projectId, names])) as { name: string }[];
    const seen = new Set(rows.map((row) => row.name));
    const warnings: CampaignWarning[] = [];
    if (campaign.trigger?.event && !seen.has(campaign.trigger.event.name)) {
      warnings.push({ field: 'trigger.event.name', message: `No event named "${campaign.trigger.event.name}" has been seen in this project (in the event stream's retention)` });
    }
    if (campaign.trigger?.since && !seen.has(campaign.trigger.since.event)) {
      warnings.push({ field: 'trigger.since.event', message: `No event named "${campaign.trigger.since.event}" has been seen in this project (in the event stream's retention)` });
    }
    return warnings;
  }
}
