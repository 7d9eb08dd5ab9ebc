import { Directive, Field, ID, ObjectType } from '@nestjs/graphql';

/** The profiles subgraph owns the GDPR export; this subgraph adds the profile's segment memberships to it. */
@ObjectType('ProfileExport')
@Directive('@key(fields: "profileId")')
export class ProfileExportReference {
  @Field(() => ID) profileId: string;
}
