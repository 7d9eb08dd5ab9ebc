import { Args, Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { assertSecretKey, toConnection, type Page, type SubgraphContext } from '@boomerang/platform/subgraph';
import { EventsArgs } from './dto/events.args.js';
import type { EventEntity } from './event.entity.js';
import { EventConnection, ProfileReference } from './event.model.js';
import { EventService, type EventPageQuery } from './event.service.js';

/** Adds `events` to Profile; every profile in a request shares one query per argument set. */
@Resolver(() => ProfileReference)
export class ProfileEventsResolver {
  constructor(private readonly eventService: EventService) {}

  @ResolveField(() => EventConnection, { description: "This profile's events, newest first, filtered as the project's `events`. Secret key only." })
  async events(@Parent() profile: ProfileReference, @Args() args: EventsArgs, @Context() context: SubgraphContext) {
    assertSecretKey(context.caller);
    const projectId = context.caller.projectId;
    if (!projectId) return toConnection({ rows: [], hasNextPage: false }, () => new Date(0));
    const query: EventPageQuery = {
      first: args.first,
      after: args.after ?? null,
      name: args.name ?? null,
      types: args.types ?? null,
      since: args.since ?? null,
      until: args.until ?? null,
      propertyEquals: args.propertyEquals ?? null,
    };
    const page = await context.loaders
      .get<string, Page<EventEntity>>(`Profile.events:${JSON.stringify(query)}`, (ids) => this.eventService.listForProfiles(projectId, ids, query))
      .load(profile.id);
    return toConnection(page, (row) => row.timestamp);
  }
}
