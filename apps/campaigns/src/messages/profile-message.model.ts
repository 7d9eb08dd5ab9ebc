import { Directive, Field, ID, ObjectType } from '@nestjs/graphql';
import { Campaign, CampaignChannel } from '../campaigns/campaign.model.js';

@ObjectType({ description: 'What one campaign decided for a profile at one occurrence, and what came of it.' })
export class ProfileCampaignMessage {
  @Field(() => Campaign) campaign: unknown;
  @Field(() => CampaignChannel) channel: CampaignChannel;
  @Field({ description: 'The occurrence (scheduled send) the decision belongs to.' }) occurrenceAt: Date;
  @Field() decidedAt: Date;
  @Field({ description: 'True: the message was requested from the channel; false: skipped (see skipReason).' }) sent: boolean;
  @Field(() => String, { nullable: true, description: 'Why it was skipped: HOLDOUT, CONTROL_GROUP, QUIET_HOURS, DAY_RULE, FREQUENCY_CAP, MIN_GAP, PAUSED.' }) skipReason: string | null;
  @Field(() => [String], { description: "Stages the profile reached with this campaign's message (sent, delivered, opened, clicked, dismissed, bounced, unsubscribed, failed)." })
  engagement: string[];
}

/** The profiles subgraph owns Profile; campaigns adds what each profile was sent. */
@ObjectType('Profile')
@Directive('@key(fields: "id")')
export class CampaignsProfileReference {
  @Field(() => ID) id: string;
}
