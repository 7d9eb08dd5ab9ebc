import { Directive, Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum CampaignChannel {
  EMAIL = 'email',
  IN_APP = 'in_app',
  WEBHOOK = 'webhook',
}
registerEnumType(CampaignChannel, { name: 'CampaignChannel', description: 'How a campaign reaches its audience.' });

export enum CampaignStatus {
  DRAFT = 'draft',
  SCHEDULED = 'scheduled',
  RUNNING = 'running',
  PAUSED = 'paused',
  COMPLETED = 'completed',
}
registerEnumType(CampaignStatus, { name: 'CampaignStatus', description: 'Lifecycle of a campaign; new campaigns are DRAFT.' });

export enum QuietHoursBehavior {
  DEFER = 'defer',
  DROP = 'drop',
}
registerEnumType(QuietHoursBehavior, {
  name: 'QuietHoursBehavior',
  description: "What a campaign does with sends that fall in the project's quiet hours: DEFER to the end of the window, or DROP them (recorded as skipped).",
});

/** A segment owned by the segments subgraph; this subgraph only refers to it. */
@ObjectType('Segment')
@Directive('@key(fields: "id", resolvable: false)')
export class SegmentReference {
  @Field(() => ID) id: string;
}

@ObjectType()
export class CampaignSchedule {
  @Field({ description: 'When the campaign starts sending (the first occurrence of a recurring schedule is at or after it).' }) startAt: Date;
  @Field({ description: 'IANA time zone the schedule is expressed in (local times of the RRULE).' }) timeZone: string;
  @Field(() => String, { nullable: true, description: 'RFC 5545 RRULE (without DTSTART), e.g. FREQ=WEEKLY;BYDAY=SA: the campaign recurs; null sends once.' })
  rrule: string | null;
  @Field(() => Date, { nullable: true, description: 'No occurrence after this moment (recurring schedules).' }) endAt: Date | null;
  @Field({ description: "Sends at startAt's local time (each occurrence's, when recurring) in each profile's own time zone." }) inProfileTimeZone: boolean;
  @Field(() => Boolean, { description: 'A profile whose zone appears after its local time passed that day gets the send at once.' }) catchUpLateZones: boolean;
}

@ObjectType()
export class CampaignAudience {
  @Field({ description: 'Every profile of the project (include segments are then not allowed).' }) everyone: boolean;
  @Field(() => [ID], { description: 'Members of any of these segments are targeted.' }) includeSegmentIds: string[];
  @Field(() => [ID], { description: 'Members of any of these segments are never targeted.' }) excludeSegmentIds: string[];
}

@ObjectType()
export class CampaignEmail {
  @Field(() => ID) templateId: string;
  @Field(() => Int, { description: 'The pinned template version: later edits of the template do not change what this campaign sends.' }) templateVersion: number;
}

@ObjectType()
export class CampaignGoal {
  @Field({ description: 'The event that counts as a conversion.' }) event: string;
  @Field(() => Int, { description: 'Days after the decision (send or control) within which the event counts.' }) withinDays: number;
}

@ObjectType({ description: 'A message sent to an audience over one channel.' })
@Directive('@key(fields: "id")')
export class Campaign {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => CampaignChannel) channel: CampaignChannel;
  @Field(() => CampaignStatus) status: CampaignStatus;
  @Field(() => CampaignSchedule, { nullable: true, description: 'null: sends once, when scheduled.' }) schedule: CampaignSchedule | null;
  @Field(() => QuietHoursBehavior) quietHours: QuietHoursBehavior;
  @Field(() => Int, { description: 'Percent of the audience held back as this campaign\'s control group (sticky per profile); 0 for none.' }) controlPercent: number;
  @Field(() => Int, { nullable: true, description: 'Most sends per minute; null for no limit.' }) throttlePerMinute: number | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}
