import { Directive, Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JSONScalar } from '@boomerang/platform/subgraph';

export enum SegmentKind {
  STATIC = 'static',
  DYNAMIC = 'dynamic',
}
registerEnumType(SegmentKind, {
  name: 'SegmentKind',
  description: 'STATIC: an imported cohort with explicit members. DYNAMIC: members follow the rules.',
});

/** The profiles subgraph owns Profile; this subgraph adds fields to it by id. */
@ObjectType('Profile')
@Directive('@key(fields: "id")')
export class ProfileReference {
  @Field(() => ID) id: string;
}

@ObjectType({ description: 'A group of profiles: an imported cohort or a rule-defined audience.' })
@Directive('@key(fields: "id")')
export class Segment {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => String, { nullable: true }) description: string | null;
  @Field(() => SegmentKind) kind: SegmentKind;
  @Field(() => JSONScalar, { nullable: true, description: 'Rule tree of a DYNAMIC segment (a JSON object); null for STATIC.' })
  rules: Record<string, unknown> | null;
  @Field() createdAt: Date;
  @Field(() => Int, { description: 'Number of member profiles.' }) size: number;
  // References to another subgraph's entities: nullable, so a profiles outage nulls only this field (README, "Adding fields across subgraphs").
  @Field(() => [ProfileReference], {
    nullable: true,
    description: 'Member profiles, ordered by id; page with `after`. Null when the profiles service did not answer for the fields asked (error SUBGRAPH_UNAVAILABLE).',
  })
  members: ProfileReference[];
}
