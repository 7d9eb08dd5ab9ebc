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

export enum SegmentStatus {
  COMPUTING = 'computing',
  READY = 'ready',
  FAILED = 'failed',
}
registerEnumType(SegmentStatus, {
  name: 'SegmentStatus',
  description: 'COMPUTING: new rules are being evaluated over all history; READY: members follow the rules live; FAILED: see `failure`.',
});

@ObjectType({ description: 'One saved version of a segment\'s rules.' })
export class SegmentVersion {
  @Field(() => Int) version: number;
  @Field(() => JSONScalar, { description: 'The rule tree, in the shape of SegmentRuleInput.' }) rules: unknown;
  @Field() createdAt: Date;
}

@ObjectType({ description: 'A segment\'s size at the end of a day (UTC), with that day\'s entries and exits.' })
export class SegmentSizePoint {
  @Field() day: string;
  @Field(() => Int) size: number;
  @Field(() => Int) entered: number;
  @Field(() => Int) exited: number;
}

@ObjectType({ description: 'How many profiles rules would hold now.' })
export class SegmentEstimate {
  @Field(() => Int) size: number;
  /** Whose profiles `totalProfiles` counts (resolved only when asked: a count over every profile). */
  projectId: string;
}

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
  @Field() createdAt: Date;
  @Field(() => Int, { description: 'The current version of the rules (each edit adds one).' }) version: number;
  @Field(() => SegmentStatus) status: SegmentStatus;
  @Field(() => String, { nullable: true }) failure: string | null;
  @Field(() => Date, { nullable: true, description: 'When the members of the current version were computed over all history.' }) computedAt: Date | null;
  @Field() updatedAt: Date;
  @Field(() => Date, { nullable: true }) archivedAt: Date | null;
  @Field(() => Int, { description: 'Number of member profiles.' }) size: number;
  // References to another subgraph's entities: nullable, so a profiles outage nulls only this field (README, "Adding fields across subgraphs").
  @Field(() => [ProfileReference], {
    nullable: true,
    description: 'Member profiles, ordered by id; page with `after`. Null when the profiles service did not answer for the fields asked (error SUBGRAPH_UNAVAILABLE).',
  })
  members: ProfileReference[];
}
