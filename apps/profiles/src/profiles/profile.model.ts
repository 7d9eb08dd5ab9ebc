import { Directive, Field, ID, ObjectType } from '@nestjs/graphql';
import { PageInfo, JSONScalar } from '@boomerang/platform/subgraph';

@ObjectType({ description: 'One end user of the project: identities, contact details and custom properties.' })
@Directive('@key(fields: "id")')
export class Profile {
  @Field(() => ID) id: string;
  @Field(() => String, { nullable: true, description: "The product's own user id; unique in the project." }) externalId: string | null;
  @Field(() => String, { nullable: true, description: 'Device or session id for users not signed in.' }) anonymousId: string | null;
  @Field(() => String, { nullable: true, description: 'Personal data: null unless read with a secret key.' }) email: string | null;
  @Field(() => String, { nullable: true, description: 'E.164 phone number. Personal data: null unless read with a secret key.' })
  phone: string | null;
  @Field(() => String, { nullable: true }) name: string | null;
  @Field(() => JSONScalar, { description: 'Custom properties (a JSON object).' }) properties: Record<string, unknown>;
  @Field(() => JSONScalar, {
    nullable: true,
    description:
      'Consent per channel, e.g. { "email": { "subscribed": false, "updatedAt": "…" }, "phone": { "dnd": true, "updatedAt": "…" } }. Null unless read with a secret key.',
  })
  consent: Record<string, unknown> | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@ObjectType()
export class ProfileEdge {
  @Field() cursor: string;
  @Field(() => Profile) node: Profile;
}

@ObjectType()
export class ProfileConnection {
  @Field(() => [ProfileEdge]) edges: ProfileEdge[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}
