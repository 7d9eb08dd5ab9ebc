import { Args, Int, Mutation, Resolver } from '@nestjs/graphql';
import { DEFAULT_USER_TOKEN_TTL_SECONDS, MAX_USER_TOKEN_TTL_SECONDS, MIN_USER_TOKEN_TTL_SECONDS } from '@boomerang/platform/auth';
import { Clock, ProjectId } from '@boomerang/platform/subgraph';
import { UserToken } from './user-token.model.js';
import { UserVerification } from './user-verification.js';
import { UserVerificationError, UserVerificationErrorCode } from './user-verification.errors.js';

/** Segment's limit on a user id, which the ingestion API keeps. */
const MAX_USER_ID_LENGTH = 255;

@Resolver(() => UserToken)
export class UserTokenResolver {
  constructor(
    private readonly verification: UserVerification,
    private readonly clock: Clock,
  ) {}

  @Mutation(() => UserToken, {
    description:
      "Secret key only: a short-lived token for one of the product's users, minted by its backend after its own sign-in and handed to its app. Publishable-key calls that carry it are trusted like the backend's own, for that user id only.",
  })
  async createUserToken(
    @ProjectId() projectId: string,
    @Args('userId', { description: `The product's user id (1-${MAX_USER_ID_LENGTH} characters).` }) userId: string,
    @Args('expiresInSeconds', {
      type: () => Int,
      nullable: true,
      description: `Lifetime, ${MIN_USER_TOKEN_TTL_SECONDS}-${MAX_USER_TOKEN_TTL_SECONDS} s (default ${DEFAULT_USER_TOKEN_TTL_SECONDS}).`,
    })
    expiresInSeconds?: number | null,
  ): Promise<UserToken> {
    if (userId.length < 1 || userId.length > MAX_USER_ID_LENGTH) {
      throw new UserVerificationError(UserVerificationErrorCode.InvalidTokenRequest, `userId: must be 1-${MAX_USER_ID_LENGTH} characters`, 'userId');
    }
    const ttl = expiresInSeconds ?? DEFAULT_USER_TOKEN_TTL_SECONDS;
    if (ttl < MIN_USER_TOKEN_TTL_SECONDS || ttl > MAX_USER_TOKEN_TTL_SECONDS) {
      throw new UserVerificationError(
        UserVerificationErrorCode.InvalidTokenRequest,
        `expiresInSeconds: must be from ${MIN_USER_TOKEN_TTL_SECONDS} to ${MAX_USER_TOKEN_TTL_SECONDS}`,
        'expiresInSeconds',
      );
    }
    const { token, expiresAt } = await this.verification.userTokens.mint(projectId, userId, ttl, this.clock.now());
    return { token, userId, expiresAt };
  }
}
