import { Args, Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { assertSecretKey, toConnection, type Page, type SubgraphContext } from '@boomerang/platform/subgraph';
import { EventsArgs } from './dto/events.args.js';
import type { EventEntity } from './event.entity.js';
import { EventConnection, ProfileReference } from './event.model.js';
import { EventService } from './event.service.js';

/** Adds `events` to Profile; every profile in a request shares one query per argument set. */
@Resolver(() => ProfileReference)
export class ProfileEventsResolver {
  constructor(private readonly eventService: EventService) {}

  @ResolveField(() => EventConnection, {
    // Contributed to another subgraph's entity: nullable, so an events outage nulls only this field (README, "Adding fields across subgraphs").
    nullable: true,
    description: "This profile's events, newest first, filtered as the project's `events`. Secret key only. Null when the events service did not answer (error SUBGRAPH_UNAVAILABLE).",
  })
  async events(@Parent() profile: ProfileReference, @Args() args: EventsArgs, @Context() context: SubgraphContext) {
    assertSecretKey(context.caller);
    const projectId = context.caller.projectId;
    if (!projectId) return toConnection({ rows: [], hasNextPage: false }, () => new Date(0));
    const page = await context.loaders
      .get<string, Page<EventEntity>>(`Profile.events:${JSON.stringify(args)}`, (ids) => this.eventService.listForProfiles(projectId, ids, args))
      .load(profile.id);
    return toConnection(page, (row) => row.timestamp);
  }
}
