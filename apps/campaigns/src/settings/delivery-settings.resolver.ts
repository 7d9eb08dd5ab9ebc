import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { CampaignError, CampaignErrorCode } from '../campaigns/campaign.errors.js';
import { CampaignDeliverySettings } from './delivery-settings.model.js';
import { DeliverySettingsRepository } from './delivery-settings.repository.js';
import { ConfigureCampaignDeliveryInput } from './dto/configure-delivery-settings.input.js';

@Resolver(() => CampaignDeliverySettings)
export class DeliverySettingsResolver {
  constructor(private readonly settings: DeliverySettingsRepository) {}

  @Query(() => CampaignDeliverySettings, { description: "The project's delivery rules for every campaign (defaults until configured)." })
  campaignDeliverySettings(@ProjectId() projectId: string) {
    return this.settings.get(projectId);
  }

  @Mutation(() => CampaignDeliverySettings, { description: "Saves the project's delivery rules (all of them; fields left out take their defaults)." })
  configureCampaignDelivery(@ProjectId() projectId: string, @Args('input') input: ConfigureCampaignDeliveryInput) {
    if (input.holdoutPercent === 1) throw new CampaignError(CampaignErrorCode.InvalidDefinition, 'Invalid value for input.holdoutPercent: must be 0 or between 2 and 10', 'input.holdoutPercent');
    if (input.quietHours && input.quietHours.start === input.quietHours.end) {
      throw new CampaignError(CampaignErrorCode.InvalidDefinition, 'Invalid value for input.quietHours.end: must differ from start', 'input.quietHours.end');
    }
    return this.settings.save({
      projectId,
      holdoutPercent: input.holdoutPercent,
      timeZone: input.timeZone,
      quietHours: input.quietHours ? { start: input.quietHours.start, end: input.quietHours.end } : null,
      emailCap: input.emailCap ? { max: input.emailCap.max, days: input.emailCap.days } : null,
      minGapMinutes: input.minGapMinutes ?? null,
    });
  }
}
