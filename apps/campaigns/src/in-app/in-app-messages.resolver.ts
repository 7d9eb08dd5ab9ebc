import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import type { CallerContext } from '@boomerang/platform/auth';
import { Caller, PublishableKeyAllowed } from '@boomerang/platform/subgraph';
import { InAppMessage } from './in-app-message.model.js';
import { InAppMessages } from './in-app-messages.service.js';

@Resolver(() => InAppMessage)
export class InAppMessagesResolver {
  constructor(private readonly messages: InAppMessages) {}

  @PublishableKeyAllowed()
  @Query(() => [InAppMessage], {
    description:
      "The current user's live in-app messages, newest first. Publishable keys pass `userToken` (minted by your backend with createUserToken) and read only that user's; secret keys may pass `profileId` instead.",
  })
  inAppMessages(
    @Caller() caller: CallerContext,
    @Args('userToken', { type: () => String, nullable: true }) userToken?: string | null,
    @Args('profileId', { type: () => ID, nullable: true }) profileId?: string | null,
    @Args('limit', { type: () => Int, defaultValue: 20, description: 'At most 100.' }) limit = 20,
  ): Promise<InAppMessage[]> {
    return this.messages.forRecipient(caller, { userToken, profileId }, limit);
  }
}
