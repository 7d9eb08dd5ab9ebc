import { Args, Context, Int, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { assertSecretKey, type SubgraphContext } from '@boomerang/platform/subgraph';
import { CampaignsProfileReference, ProfileCampaignMessage } from './profile-message.model.js';
import { ProfileMessages, type ProfileMessageView } from './profile-messages.service.js';

/** Adds `messages` to Profile; every profile in a request shares one query. */
@Resolver(() => CampaignsProfileReference)
export class ProfileMessagesResolver {
  constructor(private readonly profileMessages: ProfileMessages) {}

  @ResolveField(() => [ProfileCampaignMessage], {
    nullable: true,
    description: 'What campaigns sent this profile, or why they skipped it, newest first (secret key). Null when the campaigns service did not answer.',
  })
  messages(@Parent() profile: CampaignsProfileReference, @Context() context: SubgraphContext, @Args('limit', { type: () => Int, defaultValue: 20, description: 'At most 100.' }) limit: number) {
    assertSecretKey(context.caller);
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, ProfileMessageView[]>(`Profile.messages:${limit}`, (ids) => this.profileMessages.of(projectId, ids, limit))
      .load(profile.id);
  }
}
