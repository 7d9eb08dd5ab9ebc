import { Directive, Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { JOURNEY_NODE_TYPES } from './journey-graph.js';

export enum JourneyStatus {
  DRAFT = 'draft',
  LIVE = 'live',
  STOPPED = 'stopped',
}
registerEnumType(JourneyStatus, { name: 'JourneyStatus', description: 'New journeys are DRAFT; LIVE journeys admit users.' });

@ObjectType({ description: 'A step of a journey.' })
export class JourneyNode {
  @Field({ description: 'Unique within the journey.' }) id: string;
  @Field({ description: `One of ${JOURNEY_NODE_TYPES.join(', ')}.` }) type: string;
  @Field(() => JSONScalar, { description: 'Type-specific settings (a JSON object).' }) config: Record<string, unknown>;
}

@ObjectType({ description: 'A transition from one node to another.' })
export class JourneyEdge {
  @Field() from: string;
  @Field() to: string;
}

@ObjectType()
export class JourneyGraph {
  @Field(() => [JourneyNode]) nodes: JourneyNode[];
  @Field(() => [JourneyEdge]) edges: JourneyEdge[];
}

@ObjectType({ description: 'A graph of steps users move through, starting at its entry node.' })
@Directive('@key(fields: "id")')
export class Journey {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => JourneyStatus) status: JourneyStatus;
  @Field(() => Int, { description: 'Increases with every published change of the graph; starts at 1.' }) version: number;
  @Field(() => JourneyGraph) graph: JourneyGraph;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}
