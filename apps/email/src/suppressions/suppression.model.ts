import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { PageInfo } from '@boomerang/platform/subgraph';

export enum EmailSuppressionReason {
  HARD_BOUNCE = 'hard_bounce',
  COMPLAINT = 'complaint',
  UNSUBSCRIBED = 'unsubscribed',
  MANUAL = 'manual',
}
registerEnumType(EmailSuppressionReason, { name: 'EmailSuppressionReason', description: 'Why an address is never sent to.' });

@ObjectType({ description: 'An address the project never sends to.' })
export class EmailSuppression {
  @Field({ description: 'Lower-cased.' }) address: string;
  @Field(() => EmailSuppressionReason) reason: EmailSuppressionReason;
  @Field(() => String, { nullable: true, description: 'What suppressed it: the bounce status and diagnostic, the send it came from, or the note given.' }) detail: string | null;
  @Field() createdAt: Date;
}

@ObjectType()
export class EmailSuppressionEdge {
  @Field() cursor: string;
  @Field(() => EmailSuppression) node: EmailSuppression;
}

@ObjectType()
export class EmailSuppressionConnection {
  @Field(() => [EmailSuppressionEdge]) edges: EmailSuppressionEdge[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}
