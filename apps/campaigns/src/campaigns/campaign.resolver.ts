import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import { byKeys, ProjectId, type SubgraphContext } from '@boomerang/platform/subgraph';
import { CreateCampaignInput } from './dto/create-campaign.input.js';
import { UpdateCampaignInput } from './dto/update-campaign.input.js';
import { CampaignStats } from '../stats/campaign-stats.model.js';
import { CampaignStatsService } from '../stats/campaign-stats.service.js';
import { Campaign, CampaignAudience, CampaignEmail, CampaignGoal, CampaignStatus, SegmentReference } from './campaign.model.js';
import { CampaignService } from './campaign.service.js';
import type { CampaignEntity } from './campaign.entity.js';

@Resolver(() => Campaign)
export class CampaignResolver {
  constructor(
    private readonly campaignService: CampaignService,
    private readonly campaignStats: CampaignStatsService,
  ) {}

  @Query(() => Campaign)
  campaign(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.campaignService.get(projectId, id);
  }

  @Query(() => [Campaign], { description: "The project's campaigns, oldest first, optionally with one status." })
  campaigns(
    @ProjectId() projectId: string,
    @Args('status', { type: () => CampaignStatus, nullable: true }) status?: CampaignStatus | null,
  ) {
    return this.campaignService.list(projectId, status);
  }

  @Mutation(() => Campaign, { description: 'Creates a campaign in DRAFT.' })
  createCampaign(@ProjectId() projectId: string, @Args('input') input: CreateCampaignInput) {
    return this.campaignService.create(projectId, input);
  }

  @Mutation(() => Campaign, {
    description:
      'Moves a campaign along its lifecycle: DRAFT → SCHEDULED | RUNNING; SCHEDULED → RUNNING | PAUSED | DRAFT; RUNNING → PAUSED | COMPLETED; PAUSED → RUNNING | COMPLETED.',
  })
  updateCampaignStatus(
    @ProjectId() projectId: string,
    @Args('id', { type: () => ID }) id: string,
    @Args('status', { type: () => CampaignStatus }) status: CampaignStatus,
  ) {
    return this.campaignService.updateStatus(projectId, id, status);
  }

  @Mutation(() => Campaign, { description: 'Changes a DRAFT or PAUSED campaign: fields left out keep their values.' })
  updateCampaign(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string, @Args('input') input: UpdateCampaignInput) {
    return this.campaignService.update(projectId, id, input);
  }

  @Mutation(() => Campaign, { description: 'A new DRAFT campaign with the same definition (default name: "<name> (copy)").' })
  duplicateCampaign(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string, @Args('name', { type: () => String, nullable: true }) name?: string | null) {
    return this.campaignService.duplicate(projectId, id, name);
  }

  @Mutation(() => Campaign, { description: 'DRAFT → SCHEDULED: sends at its schedule (now, when it has none), or reacts to its trigger.' })
  scheduleCampaign(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.campaignService.updateStatus(projectId, id, CampaignStatus.SCHEDULED);
  }

  @Mutation(() => Campaign, { description: 'SCHEDULED or RUNNING → PAUSED: its jobs stop at their next page.' })
  pauseCampaign(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.campaignService.updateStatus(projectId, id, CampaignStatus.PAUSED);
  }

  @Mutation(() => Campaign, { description: 'PAUSED → RUNNING: continues where it stopped.' })
  resumeCampaign(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.campaignService.updateStatus(projectId, id, CampaignStatus.RUNNING);
  }

  @Mutation(() => Campaign, { description: 'RUNNING or PAUSED → COMPLETED (final): nothing more is sent.' })
  stopCampaign(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.campaignService.updateStatus(projectId, id, CampaignStatus.COMPLETED);
  }

  // A reference to another subgraph's entity: nullable, so a segments outage nulls only this field (README, "Adding fields across subgraphs").
  @ResolveField(() => SegmentReference, {
    nullable: true,
    description: 'The segment the campaign targets; null targets nobody yet, or (with error SUBGRAPH_UNAVAILABLE) the segments service did not answer for the fields asked.',
  })
  audience(@Parent() campaign: CampaignEntity) {
    return campaign.audienceSegmentId ? { __typename: 'Segment', id: campaign.audienceSegmentId } : null;
  }

  @ResolveField(() => CampaignAudience, { description: 'Who the campaign targets.' })
  targeting(@Parent() campaign: CampaignEntity): CampaignAudience {
    return { everyone: campaign.audience.everyone, includeSegmentIds: campaign.audience.include, excludeSegmentIds: campaign.audience.exclude };
  }

  @ResolveField(() => CampaignEmail, { nullable: true })
  email(@Parent() campaign: CampaignEntity): CampaignEmail | null {
    return campaign.templateId && campaign.templateVersion ? { templateId: campaign.templateId, templateVersion: campaign.templateVersion } : null;
  }

  @ResolveField(() => CampaignGoal, { nullable: true })
  goal(@Parent() campaign: CampaignEntity): CampaignGoal | null {
    return campaign.goalEvent && campaign.goalDays ? { event: campaign.goalEvent, withinDays: campaign.goalDays } : null;
  }

  @ResolveField(() => CampaignStats)
  stats(@Parent() campaign: CampaignEntity) {
    return this.campaignStats.of(campaign.projectId, campaign.id, campaign.goalEvent !== null);
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, CampaignEntity | null>('Campaign', async (ids) => byKeys(ids, await this.campaignService.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
