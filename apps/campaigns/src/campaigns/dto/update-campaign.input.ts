import { InputType, PartialType } from '@nestjs/graphql';
import { CreateCampaignInput } from './create-campaign.input.js';

/** Changes to a DRAFT or PAUSED campaign: a field left out keeps its value; null clears an optional one. */
@InputType()
export class UpdateCampaignInput extends PartialType(CreateCampaignInput) {}
