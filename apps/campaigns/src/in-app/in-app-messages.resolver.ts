import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { CallerContext } from '@boomerang/platform/auth';
import { Caller, Clock, PublishableKeyAllowed } from '@boomerang/platform/subgraph';
import { InAppLiveTokens } from './in-app-live-tokens.js';
import { InAppLiveServer } from './in-app-live.server.js';
import { InAppLiveToken, InAppMessage } from './in-app-message.model.js';
import { InAppMessages } from './in-app-messages.service.js';
import { InAppError, InAppErrorCode } from './in-app.errors.js';

@Resolver(() => InAppMessage)
export class InAppMessagesResolver {
  constructor(
    private readonly messages: InAppMessages,
    private readonly liveTokens: InAppLiveTokens,
    private readonly liveServer: InAppLiveServer,
    private readonly clock: Clock,
  ) {}

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

  @PublishableKeyAllowed()
  @Mutation(() => InAppLiveToken, { description: "A short-lived token (5 minutes) that opens the live in-app socket for the same recipient inAppMessages reads: new messages are pushed as they are created." })
  async createInAppLiveToken(
    @Caller() caller: CallerContext,
    @Args('userToken', { type: () => String, nullable: true }) userToken?: string | null,
    @Args('profileId', { type: () => ID, nullable: true }) profileId?: string | null,
  ): Promise<InAppLiveToken> {
    const projectId = caller.projectId!;
    const recipient = await this.messages.profileOf(caller, projectId, { userToken, profileId });
    if (!recipient) throw new InAppError(InAppErrorCode.UnknownUser, 'userToken: no profile answers to this user id yet', 'userToken');
    const { token, expiresAt } = await this.liveTokens.mint({ projectId, profileId: recipient }, this.clock.now());
    return { url: this.liveServer.urlFor(token), token, expiresAt };
  }
}
