import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

@ObjectType()
export class SkipCount {
  @Field({ description: 'HOLDOUT, CONTROL_GROUP, QUIET_HOURS, DAY_RULE, FREQUENCY_CAP, MIN_GAP, PAUSED (a triggered campaign fired while paused) or CAMPAIGN_COMPLETED (held by quiet hours when the campaign was completed).' }) reason: string;
  @Field(() => Int) count: number;
}

@ObjectType({ description: "The test group's conversion over the control group's, with a 95 % confidence interval of the difference." })
export class CampaignLift {
  @Field(() => Float) testRate: number;
  @Field(() => Float) controlRate: number;
  @Field(() => Float, { description: 'testRate − controlRate.' }) absolute: number;
  @Field(() => Float, { nullable: true, description: 'absolute / controlRate; null when the control converted nobody.' }) relative: number | null;
  @Field(() => Float, { description: 'Lower bound of the 95 % interval of absolute.' }) low: number;
  @Field(() => Float, { description: 'Upper bound of the 95 % interval of absolute.' }) high: number;
  @Field(() => Float, { description: 'Two-sided p-value of absolute.' }) pValue: number;
  @Field({ description: 'The 95 % interval excludes zero.' }) significant: boolean;
}

@ObjectType({ description: 'One A/B variant of a campaign: its sends, what came of them, and its lift over the control group.' })
export class CampaignVariantStats {
  @Field() variant: string;
  @Field(() => Int, { description: 'Profiles sent this variant.' }) requested: number;
  @Field(() => Int) sent: number;
  @Field(() => Int) delivered: number;
  @Field(() => Int) opened: number;
  @Field(() => Int) clicked: number;
  @Field(() => Int) converted: number;
  @Field(() => CampaignLift, { nullable: true, description: "This variant's conversion over the control group's; null without a goal or a control group." }) lift: CampaignLift | null;
}

@ObjectType({ description: 'What a campaign decided for its audience, over all its occurrences.' })
export class CampaignStats {
  @Field(() => Int, { description: 'Decisions made: one per targeted profile and occurrence.' }) targeted: number;
  @Field(() => Int, { description: 'Sends requested from the channel.' }) requested: number;
  @Field(() => Int, { description: "Profiles in the campaign's control group (decisions skipped with CONTROL_GROUP)." }) controlSize: number;
  @Field(() => [SkipCount], { description: 'Skipped decisions by reason, most first.' }) skipped: SkipCount[];
  @Field(() => Int, { description: 'Occurrences finished.' }) occurrencesDone: number;
  @Field(() => Int, {
    description: "Profiles a deferring campaign holds in their quiet hours (each in its own zone) until their window ends: not decided yet, so not in targeted. A paused campaign's held profiles stay here until it resumes; completing the campaign decides them skipped CAMPAIGN_COMPLETED.",
  })
  held: number;
  @Field(() => Int, { description: 'Profiles sent to that did the goal event within the goal days (each once).' }) converted: number;
  @Field(() => Int, { description: 'Control-group profiles that did the goal event within the goal days.' }) controlConverted: number;
  @Field(() => CampaignLift, { nullable: true, description: 'Null without a goal, or until both groups have someone.' }) lift: CampaignLift | null;
  @Field(() => Int, { description: 'Profiles the channel sent to (email accepted by the SMTP server, in-app message created, webhook answered 2xx).' }) sent: number;
  @Field(() => Int, { description: 'Profiles whose message was delivered (email delivery report, webhook 2xx).' }) delivered: number;
  @Field(() => Int, { description: 'Profiles who opened the email or viewed the in-app message.' }) opened: number;
  @Field(() => Int, { description: 'Profiles who clicked a link or button.' }) clicked: number;
  @Field(() => Int, { description: 'Profiles who dismissed the in-app message.' }) dismissed: number;
  @Field(() => Int) bounced: number;
  @Field(() => Int) unsubscribed: number;
  @Field(() => Int, { description: 'Profiles whose message failed for good (email failure, webhook dead-lettered).' }) failed: number;
  @Field(() => [CampaignVariantStats], { description: 'Per A/B variant, by variant key; empty for a campaign without variants.' }) variants: CampaignVariantStats[];
}

export enum StatsInterval {
  HOUR = 'hour',
  DAY = 'day',
}
registerEnumType(StatsInterval, { name: 'StatsInterval' });

@ObjectType({ description: "One period of a campaign's timeline: what happened in it (each profile counted in the period it first reached a stage)." })
export class CampaignStatsPeriod {
  @Field({ description: 'Start of the period (UTC).' }) start: Date;
  @Field(() => Int) targeted: number;
  @Field(() => Int) requested: number;
  @Field(() => Int) sent: number;
  @Field(() => Int) delivered: number;
  @Field(() => Int) opened: number;
  @Field(() => Int) clicked: number;
  @Field(() => Int) converted: number;
}
