import { Directive, Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum EmailSendStatus {
  QUEUED = 'QUEUED',
  SENDING = 'SENDING',
  DEFERRED = 'DEFERRED',
  SENT = 'SENT',
  FAILED = 'FAILED',
  SKIPPED = 'SKIPPED',
  UNCERTAIN = 'UNCERTAIN',
}
registerEnumType(EmailSendStatus, {
  name: 'EmailSendStatus',
  description: 'Where a send is: QUEUED, SENDING or DEFERRED (waiting for a retry); SENT (the server accepted it), FAILED, SKIPPED (never sent: see reason), UNCERTAIN (in flight at a crash, not sent again).',
});

export enum EmailBounceType {
  HARD = 'HARD',
  SOFT = 'SOFT',
}
registerEnumType(EmailBounceType, { name: 'EmailBounceType' });

/** The profiles subgraph owns Profile; this subgraph adds `emails` to it by id. */
@ObjectType('Profile')
@Directive('@key(fields: "id")')
export class ProfileReference {
  @Field(() => ID) id: string;
}

@ObjectType({ description: 'One email to a profile: its template, where it is, and what the recipient did with it.' })
export class ProfileEmail {
  @Field(() => ID) id: string;
  profileId: string;
  @Field(() => ID) templateId: string;
  @Field(() => Int) templateVersion: number;
  @Field(() => String, { nullable: true, description: "The template's name now (null: the template is gone)." }) templateName: string | null;
  @Field(() => ID, { nullable: true }) campaignId: string | null;
  @Field(() => ID, { nullable: true }) journeyId: string | null;
  @Field(() => EmailSendStatus) status: EmailSendStatus;
  @Field(() => String, {
    nullable: true,
    description: 'SKIPPED: NO_PROFILE, NO_EMAIL, UNSUBSCRIBED, NO_CONSENT or SUPPRESSED; FAILED or DEFERRED: what went wrong (e.g. `SMTP_REJECTED: 550 …`).',
  })
  reason: string | null;
  @Field(() => Int, { description: 'SMTP attempts made.' }) attempts: number;
  @Field({ description: 'When the send command was taken.' }) createdAt: Date;
  @Field(() => Date, { nullable: true, description: 'When the server accepted it.' }) sentAt: Date | null;
  @Field(() => Date, { nullable: true }) firstOpenedAt: Date | null;
  @Field(() => Int) openCount: number;
  @Field(() => Date, { nullable: true }) firstClickedAt: Date | null;
  @Field(() => Int) clickCount: number;
  @Field(() => EmailBounceType, { nullable: true }) bounceType: EmailBounceType | null;
  @Field(() => Date, { nullable: true }) bouncedAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the recipient unsubscribed through this message.' }) unsubscribedAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the recipient reported this message as spam (a feedback loop report): the address is suppressed and the profile unsubscribed.' })
  complainedAt: Date | null;
}

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
