import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { assertSecretKey, JSONScalar, type SubgraphContext } from '@boomerang/platform/subgraph';
import { EventExport } from './event-export.js';
import { ProfileExportReference } from './profile-export.model.js';

/** Adds the profile's events to the GDPR export that profiles starts. */
@Resolver(() => ProfileExportReference)
export class ProfileExportEventsResolver {
  constructor(private readonly eventExport: EventExport) {}

  @ResolveField(() => JSONScalar, {
    // Contributed to another subgraph's entity: nullable, so an events outage nulls only this part (README, "Adding fields across subgraphs").
    nullable: true,
    description:
      'Every event held on the profile, oldest first, archived months included: each with all its stored columns (id, profileId, messageId, type, name, userId, anonymousId, properties, context, timestamp, sentAt, receivedAt). Secret key only. Null when the events service did not answer (error SUBGRAPH_UNAVAILABLE): the export is then incomplete; ask again.',
  })
  async events(@Parent() reference: ProfileExportReference, @Context() context: SubgraphContext) {
    // Reached through `_entities`, which the root-field guard does not see.
    assertSecretKey(context.caller);
    const projectId = context.caller.projectId;
    return projectId ? this.eventExport.ofProfile(projectId, reference.profileId) : [];
  }
}
