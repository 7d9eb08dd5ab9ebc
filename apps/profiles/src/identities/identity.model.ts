import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum IdentityKind {
  USER_ID = 'user_id',
  ANONYMOUS_ID = 'anonymous_id',
  EMAIL = 'email',
  PHONE = 'phone',
  DEVICE_ID = 'device_id',
}

registerEnumType(IdentityKind, { name: 'IdentityKind', description: 'How a profile is recognised.' });

@ObjectType({ description: 'One identity of a profile. Email and phone identities are listed for secret keys only.' })
export class ProfileIdentity {
  @Field(() => IdentityKind) kind: IdentityKind;
  @Field() value: string;
  @Field({ description: 'When the profile first answered to this identity.' }) createdAt: Date;
}
