import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum ProfilePropertyType {
  STRING = 'string',
  NUMBER = 'number',
  BOOLEAN = 'boolean',
  DATE = 'date',
  LIST = 'list',
  OBJECT = 'object',
}
registerEnumType(ProfilePropertyType, {
  name: 'ProfilePropertyType',
  description:
    'How a property stores and compares: DATE values are ISO 8601 UTC strings (e.g. "2026-01-31T09:30:00.000Z"), LIST values arrays of strings, numbers or booleans.',
});

@ObjectType({ description: "A custom property of the project's profiles; its type is fixed by the first value seen." })
export class ProfileProperty {
  @Field() name: string;
  @Field(() => ProfilePropertyType) type: ProfilePropertyType;
  @Field() firstSeenAt: Date;
}
