import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType()
export class SkipCount {
  @Field({ description: 'HOLDOUT, CONTROL_GROUP, QUIET_HOURS, FREQUENCY_CAP or MIN_GAP.' }) reason: string;
  @Field(() => Int) count: number;
}

@ObjectType({ description: 'What a campaign decided for its audience, over all its occurrences.' })
export class CampaignStats {
  @Field(() => Int, { description: 'Decisions made: one per targeted profile and occurrence.' }) targeted: number;
  @Field(() => Int, { description: 'Sends requested from the channel.' }) requested: number;
  @Field(() => Int, { description: "Profiles in the campaign's control group (decisions skipped with CONTROL_GROUP)." }) controlSize: number;
  @Field(() => [SkipCount], { description: 'Skipped decisions by reason, most first.' }) skipped: SkipCount[];
  @Field(() => Int, { description: 'Occurrences finished.' }) occurrencesDone: number;
}
