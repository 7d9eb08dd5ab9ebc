import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { assertSecretKey, JSONScalar, type SubgraphContext } from '@boomerang/platform/subgraph';
import { CallExport } from './call-export.js';
import { ProfileExportReference } from './profile-export.model.js';

/** Adds the profile's calls to the GDPR export that profiles starts. */
@Resolver(() => ProfileExportReference)
export class ProfileExportCallsResolver {
  constructor(private readonly callExport: CallExport) {}

  @ResolveField(() => JSONScalar, {
    // Contributed to another subgraph's entity: nullable, so a voice outage nulls only this part (README, "Adding fields across subgraphs").
    nullable: true,
    description:
      'Every call the profile made or received, oldest first, as stored: the call (both profile ids, context, branding, state, times, end reason, duration) with its participants (masked identities and proxy numbers), timeline and client reports. Secret key only. Null when the voice service did not answer (error SUBGRAPH_UNAVAILABLE): the export is then incomplete; ask again.',
  })
  async calls(@Parent() reference: ProfileExportReference, @Context() context: SubgraphContext) {
    // Reached through `_entities`, which the root-field guard does not see.
    assertSecretKey(context.caller);
    const projectId = context.caller.projectId;
    return projectId ? this.callExport.ofProfile(projectId, reference.profileId) : [];
  }
}
