import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'Sends of one template (and campaign) by status. `uncertain`: in flight at a crash, not sent again (it may or may not have reached the server).' })
export class EmailSendStats {
  @Field(() => ID) templateId: string;
  @Field(() => ID, { nullable: true }) campaignId: string | null;
  @Field(() => Int) total: number;
  @Field(() => Int, { description: 'Waiting: queued, being sent or deferred for a retry.' }) pending: number;
  @Field(() => Int) sent: number;
  @Field(() => Int) skipped: number;
  @Field(() => Int) failed: number;
  @Field(() => Int) uncertain: number;
}

@ObjectType({ description: 'A test email the SMTP server accepted.' })
export class TestEmailResult {
  @Field() messageId: string;
  @Field({ description: "The server's reply (e.g. `250 OK: queued as …`)." }) smtpResponse: string;
}
