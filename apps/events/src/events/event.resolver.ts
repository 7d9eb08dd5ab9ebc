import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import type { CallerContext } from '@boomerang/platform/auth';
import { byKeys, Caller, ProjectId, PublishableKeyAllowed, type SubgraphContext, toConnection } from '@boomerang/platform/subgraph';
import { EventsArgs } from './dto/events.args.js';
import { IdentifyInput, IngestBatchInput, IngestResult } from './dto/ingest-event.input.js';
import { TrackEventInput } from './dto/track-event.input.js';
import type { EventEntity } from './event.entity.js';
import { Event, EventConnection, ProfileReference } from './event.model.js';
import { EventService } from './event.service.js';

@Resolver(() => Event)
export class EventResolver {
  constructor(private readonly eventService: EventService) {}

  @PublishableKeyAllowed()
  @Mutation(() => Event, {
    description:
      'Records an event. Publishable keys allowed (by userId or anonymousId, never profileId); they get back what they sent. A repeated messageId records nothing: a secret key gets the event recorded first, `duplicate` is true.',
  })
  track(@ProjectId() projectId: string, @Caller() caller: CallerContext, @Args('input') input: TrackEventInput) {
    return this.eventService.track({ projectId, scope: caller.scope }, input);
  }

  @PublishableKeyAllowed()
  @Mutation(() => Event, { description: 'Sets traits on the profile known by userId/anonymousId (recorded as an identify event).' })
  identify(@ProjectId() projectId: string, @Caller() caller: CallerContext, @Args('input') input: IdentifyInput) {
    return this.eventService.identify({ projectId, scope: caller.scope }, input);
  }

  @PublishableKeyAllowed()
  @Mutation(() => IngestResult, { description: 'Records up to 500 events of any call type in one transaction; repeated messageIds are not recorded again.' })
  ingestEvents(@ProjectId() projectId: string, @Caller() caller: CallerContext, @Args('input') input: IngestBatchInput) {
    return this.eventService.ingest({ projectId, scope: caller.scope }, input.events);
  }

  @Query(() => Event)
  event(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.eventService.get(projectId, id);
  }

  @Query(() => EventConnection, { description: "The project's events, newest first." })
  async events(@ProjectId() projectId: string, @Args() args: EventsArgs) {
    return toConnection(await this.eventService.list(projectId, args), (row) => row.timestamp);
  }

  @ResolveField(() => ProfileReference, {
    nullable: true,
    description: 'The profile that did it. Null for publishable keys: `track` is open to them, and must not lead to reading a profile.',
  })
  profile(@Parent() event: EventEntity, @Context() context: SubgraphContext) {
    if (context.caller.scope === 'publishable') return null;
    return event.profileId ? { __typename: 'Profile', id: event.profileId } : null;
  }

  @ResolveField(() => Boolean, { description: 'On the answer of track and identify: the messageId had been recorded before, so nothing was recorded now.' })
  duplicate(@Parent() event: EventEntity & { duplicate?: boolean }) {
    return event.duplicate ?? false;
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, EventEntity | null>('Event', async (ids) => byKeys(ids, await this.eventService.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
