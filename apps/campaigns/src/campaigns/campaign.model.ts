import { Directive, Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';

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

/** A segment owned by the segments subgraph; this subgraph only refers to it. */
@ObjectType('Segment')
@Directive('@key(fields: "id", resolvable: false)')
export class SegmentReference {
  @Field(() => ID) id: string;
}

@ObjectType()
export class CampaignSchedule {
  @Field({ description: 'When the campaign starts sending.' }) startAt: Date;
  @Field({ description: 'IANA time zone the schedule is expressed in.' }) timeZone: string;
}

@ObjectType({ description: 'A message sent to an audience over one channel.' })
@Directive('@key(fields: "id")')
export class Campaign {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => CampaignChannel) channel: CampaignChannel;
  @Field(() => CampaignStatus) status: CampaignStatus;
  @Field(() => CampaignSchedule, { nullable: true }) schedule: CampaignSchedule | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}
