import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'Proves to the ingestion API that its bearer is this user of this project, until it expires.' })
export class UserToken {
  @Field({ description: 'Send it with publishable-key calls: Segment `context.userToken`, the X-User-Token header, or `userToken` in GraphQL ingestion.' })
  token: string;

  @Field() userId: string;
  @Field() expiresAt: Date;
}
