import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType()
export class QuietHours {
  @Field({ description: 'Local HH:MM the window starts.' }) start: string;
  @Field({ description: 'Local HH:MM the window ends (exclusive; before start means the next day).' }) end: string;
}

@ObjectType()
export class FrequencyCap {
  @Field(() => Int) max: number;
  @Field(() => Int) days: number;
}

@ObjectType({ description: "A project's rules for every campaign." })
export class CampaignDeliverySettings {
  @Field(() => Int, { description: "Percent of the project's profiles (sticky) that no campaign messages." }) holdoutPercent: number;
  @Field({ description: 'IANA time zone of the quiet hours.' }) timeZone: string;
  @Field(() => QuietHours, { nullable: true }) quietHours: QuietHours | null;
  @Field(() => FrequencyCap, { nullable: true, description: 'At most max emails per profile in any days days, across campaigns.' }) emailCap: FrequencyCap | null;
  @Field(() => Int, { nullable: true, description: 'Minimum minutes between two messages to a profile.' }) minGapMinutes: number | null;
}
