import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { assertSecretKey, type SubgraphContext } from '@boomerang/platform/subgraph';
import { ProfileReference } from '../segments/segment.model.js';
import { ProfileRfm } from './rfm.model.js';
import { RfmService } from './rfm.service.js';

/** Adds `rfm` to Profile; every profile in a request shares one query. */
@Resolver(() => ProfileReference)
export class ProfileRfmResolver {
  constructor(private readonly rfmService: RfmService) {}

  @ResolveField(() => ProfileRfm, {
    nullable: true,
    description: "The profile's RFM scores and class from the last computation (secret key); null when it made no purchase in the window, or RFM is not configured.",
  })
  rfm(@Parent() profile: ProfileReference, @Context() context: SubgraphContext) {
    assertSecretKey(context.caller);
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders.get<string, ProfileRfm | null>('Profile.rfm', (ids) => this.rfmService.scoresOf(projectId, ids)).load(profile.id);
  }
}
