import { Directive, Field, ID, ObjectType } from '@nestjs/graphql';
import { JSONScalar } from '@boomerang/platform/subgraph';

/**
 * The GDPR export of one profile. Profiles owns it and answers `profile`; every other service that
 * keeps data on profiles adds its own field to it by `profileId` (events `events`, voice `calls`, segments `segments`).
 */
@ObjectType({ description: 'GDPR export: everything the platform holds on one profile, one field per service that holds it. Secret key only.' })
@Directive('@key(fields: "profileId")')
export class ProfileExport {
  @Field(() => ID, { description: 'The exported profile (the survivor when a merged id was asked for).' }) profileId: string;
  @Field() exportedAt: Date;
  @Field(() => JSONScalar, {
    description:
      'What profiles holds: every column (ids, email, phone, name, timeZone, locale, properties, consent, createdAt, updatedAt), subscriptions per channel, identities (email and phone ones included) and mergeHistory.',
  })
  profile: Record<string, unknown>;
}
