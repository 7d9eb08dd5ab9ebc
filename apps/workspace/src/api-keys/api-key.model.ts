import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum ApiKeyKind {
  PUBLISHABLE = 'publishable',
  SECRET = 'secret',
}
registerEnumType(ApiKeyKind, {
  name: 'ApiKeyKind',
  description: 'PUBLISHABLE (pk_…): ingest and in-app reads, safe in apps. SECRET (sk_…): everything.',
});

@ObjectType()
export class ApiKey {
  @Field(() => ID) id: string;
  @Field(() => ApiKeyKind) kind: ApiKeyKind;
  @Field() name: string;
  @Field({ description: 'First and last characters, to recognise a key without revealing it.' }) hint: string;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) revokedAt: Date | null;
}
