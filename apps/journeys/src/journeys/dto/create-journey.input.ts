import { Field, InputType } from '@nestjs/graphql';
import { IsNotEmpty, IsObject, MaxLength } from 'class-validator';
import { JSONScalar } from '@boomerang/platform/subgraph';

@InputType()
export class JourneyNodeInput {
  @Field({ description: 'Unique within the journey, at most 64 characters.' }) id: string;
  @Field({ description: 'entry, wait, send, branch, experiment or exit.' }) type: string;
  @Field(() => JSONScalar, { nullable: true, description: 'Type-specific settings (a JSON object); default {}.' }) config?: unknown;
}

@InputType()
export class JourneyEdgeInput {
  @Field() from: string;
  @Field() to: string;
}

@InputType()
export class JourneyGraphInput {
  @Field(() => [JourneyNodeInput]) nodes: JourneyNodeInput[];
  @Field(() => [JourneyEdgeInput]) edges: JourneyEdgeInput[];
}

@InputType()
export class CreateJourneyInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  // The graph's structure is a domain rule (checkJourneyGraph), reported with indexed paths.
  @Field(() => JourneyGraphInput)
  @IsObject()
  graph: JourneyGraphInput;
}
