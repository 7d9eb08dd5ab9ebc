import { Inject, Injectable } from '@nestjs/common';
import { UserTokens, type CallerScope, type UserTokenCheck } from '@boomerang/platform/auth';
import { Clock, SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import type { IngestEventCommand } from '../ingestion/ingest-event.command.js';
import { IngestPolicies } from './ingest-policies.js';
import { UserVerificationError, UserVerificationErrorCode } from './user-verification.errors.js';

/** The context key a client (analytics.js, a mobile SDK) carries its user token in. */
export const CONTEXT_USER_TOKEN = 'userToken';
/** The header a client may carry its user token in instead, for every event of the request. */
export const USER_TOKEN_HEADER = 'x-user-token';

/** One command as its door received it, with where its parts sit in the request (for errors). */
export interface ReceivedCommand {
  command: IngestEventCommand;
  /** The user token sent with it, and where it was found. */
  token?: { value: unknown; field: string };
  /** Where the command sits in the request (`batch[3]`, `input.events[2]`), '' for a single call's body. */
  field: string;
}

const fieldIn = (field: string, key: string) => (field ? `${field}.${key}` : key);

/**
 * Decides, per command, whether it is verified (IngestEventCommand.verified): secret-key calls
 * are; a publishable-key call is when it carries a valid user token for its own userId. Refuses
 * a token that does not verify (401), a valid token sent for another user id (403), a
 * publishable call naming a user id without a token when the project requires one (403), and a
 * publishable call naming a profile id (403: a token proves a user id, never a profile).
 * Unverified calls still go through: profiles keeps them from touching another person.
 */
@Injectable()
export class UserVerification {
  private readonly tokens: UserTokens;

  constructor(
    @Inject(SUBGRAPH_CONFIG) config: SubgraphConfig,
    private readonly policies: IngestPolicies,
    private readonly clock: Clock,
  ) {
    this.tokens = new UserTokens(config.INTERNAL_SIGNING_SECRET);
  }

  get userTokens(): UserTokens {
    return this.tokens;
  }

  async verify(projectId: string, scope: CallerScope, received: readonly ReceivedCommand[]): Promise<void> {
    if (scope !== 'publishable') {
      for (const { command } of received) command.verified = true;
      return;
    }
    const now = this.clock.now();
    // A batch usually carries one token for all of its events: each distinct token is checked once.
    const checks = new Map<string, Promise<UserTokenCheck>>();
    let requiresVerification: Promise<boolean> | undefined;
    for (const { command, token, field } of received) {
      command.verified = false;
      if (command.profileId) {
        throw new UserVerificationError(
          UserVerificationErrorCode.ProfileIdNotAllowed,
          `${fieldIn(field, 'profileId')}: publishable keys name the user by userId or anonymousId, not by profile id`,
          fieldIn(field, 'profileId'),
        );
      }
      if (token !== undefined && token.value !== undefined && token.value !== null) {
        const key = typeof token.value === 'string' ? token.value : '';
        let check = checks.get(key);
        if (!check) checks.set(key, (check = this.tokens.verify(projectId, token.value, now)));
        const checked = await check;
        if (!checked.ok) {
          throw new UserVerificationError(UserVerificationErrorCode.UserTokenInvalid, `${token.field}: the user token is ${checked.reason}`, token.field);
        }
        if (command.userId !== null && command.userId !== checked.userId) {
          throw new UserVerificationError(
            UserVerificationErrorCode.UserTokenForAnotherUser,
            `${fieldIn(field, 'userId')}: does not match the user token's user id`,
            fieldIn(field, 'userId'),
          );
        }
        command.verified = command.userId !== null;
      }
      if (!command.verified && command.userId !== null && (await (requiresVerification ??= this.policies.requiresUserVerification(projectId)))) {
        throw new UserVerificationError(
          UserVerificationErrorCode.UserVerificationRequired,
          `${fieldIn(field, 'userId')}: this project requires a user token (context.${CONTEXT_USER_TOKEN} or the X-User-Token header) for publishable-key calls that name a user id`,
          fieldIn(field, 'userId'),
        );
      }
    }
  }
}

/**
 * The user token a Segment call carries in its context (which is then stored without it: a
 * token is a credential). Batch messages may share one context object, so it is copied, never
 * changed in place.
 */
export function takeContextUserToken(command: IngestEventCommand): unknown {
  const context = command.context;
  if (!context || !Object.hasOwn(context, CONTEXT_USER_TOKEN)) return undefined;
  const { [CONTEXT_USER_TOKEN]: token, ...rest } = context;
  command.context = rest;
  return token;
}
