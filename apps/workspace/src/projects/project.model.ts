import { Directive, Field, ID, ObjectType } from '@nestjs/graphql';
import { ApiKey } from '../api-keys/api-key.model.js';

@ObjectType({ description: 'A product whose users Boomerang serves; all data belongs to one project.' })
@Directive('@key(fields: "id")')
export class Project {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field({ description: 'IANA time zone used for schedules and reports.' }) timeZone: string;
  @Field({
    description:
      'Publishable-key calls that name a user id must carry a user token (createUserToken) for that user id; turn on once every app version sends tokens.',
  })
  requireUserVerification: boolean;
  @Field() createdAt: Date;
}

@ObjectType({ description: 'A newly issued key. The key itself is shown only in this response.' })
export class IssuedApiKey {
  @Field(() => ApiKey) apiKey: ApiKey;
  @Field({ description: 'The full key (pk_… or sk_…). Store it now: it cannot be read again.' }) key: string;
}

@ObjectType()
export class CreatedProject {
  @Field(() => Project) project: Project;
  @Field(() => IssuedApiKey) publishableKey: IssuedApiKey;
  @Field(() => IssuedApiKey) secretKey: IssuedApiKey;
}
