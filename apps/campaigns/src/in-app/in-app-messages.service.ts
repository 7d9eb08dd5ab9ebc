import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ResolveIdentities } from '@boomerang/contracts';
import { UserTokens, type CallerContext } from '@boomerang/platform/auth';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';
import { Clock, isUuid, MESSAGING, SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import type { InAppContent } from './in-app-content.js';
import { InAppError, InAppErrorCode } from './in-app.errors.js';
import type { InAppMessage } from './in-app-message.model.js';

/** Who asks for in-app messages: a user token (any key), or a profile id (secret keys only). */
export interface InAppRecipient {
  userToken?: string | null;
  profileId?: string | null;
}

interface MessageRow {
  id: string;
  campaign_id: string;
  content: InAppContent;
  variant: string | null;
  created_at: Date;
  expires_at: Date | null;
}

export const MAX_IN_APP_MESSAGES = 100;

/**
 * Reads a profile's live in-app messages (not expired, newest first). A publishable key reads
 * only the messages of the user its user token proves (the product's backend minted it with its
 * secret key, `createUserToken`), never by profile id; a secret key may name any profile.
 */
@Injectable()
export class InAppMessages {
  private readonly tokens: UserTokens;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(SUBGRAPH_CONFIG) config: SubgraphConfig,
    private readonly clock: Clock,
  ) {
    this.tokens = new UserTokens(config.INTERNAL_SIGNING_SECRET);
  }

  async forRecipient(caller: CallerContext, recipient: InAppRecipient, limit: number): Promise<InAppMessage[]> {
    const projectId = caller.projectId!;
    const profileId = await this.profileOf(caller, projectId, recipient);
    return profileId ? this.forProfile(projectId, profileId, limit) : [];
  }

  /** The profile the caller may read, or null when the token's user has no profile yet. */
  async profileOf(caller: CallerContext, projectId: string, recipient: InAppRecipient): Promise<string | null> {
    if (caller.scope === 'publishable' && recipient.profileId) {
      throw new InAppError(InAppErrorCode.ProfileIdNotAllowed, 'profileId: publishable keys read the messages of the user their userToken proves, not of a profile id', 'profileId');
    }
    if (recipient.userToken === undefined || recipient.userToken === null) {
      if (caller.scope === 'publishable') {
        throw new InAppError(InAppErrorCode.UserTokenRequired, 'userToken: publishable keys need a user token minted by your backend (createUserToken)', 'userToken');
      }
      if (!recipient.profileId) throw new InAppError(InAppErrorCode.RecipientRequired, 'profileId or userToken: name whose messages to read', 'profileId');
      return isUuid(recipient.profileId) ? recipient.profileId : null;
    }
    const check = await this.tokens.verify(projectId, recipient.userToken, this.clock.now());
    if (!check.ok) throw new InAppError(InAppErrorCode.UserTokenInvalid, `userToken: the user token is ${check.reason}`, 'userToken');
    const reply = await callRpc(this.messaging.nc, this.messaging.subjects, ResolveIdentities, { projectId, kind: 'user_id', values: [check.userId] }, 5_000);
    return reply.profileIds[0] ?? null;
  }

  async forProfile(projectId: string, profileId: string, limit: number): Promise<InAppMessage[]> {
    const rows = (await this.dataSource.query(
      `SELECT id, campaign_id, content, variant, created_at, expires_at FROM campaign_in_app_message
       WHERE project_id = $1 AND profile_id = $2 AND (expires_at IS NULL OR expires_at > $3)
       ORDER BY created_at DESC, id LIMIT $4`,
      [projectId, profileId, this.clock.now(), Math.min(Math.max(limit, 1), MAX_IN_APP_MESSAGES)],
    )) as MessageRow[];
    return rows.map(presentMessage);
  }

  /** Messages just created (the live socket's pushes), with whom each is for. */
  async byIds(projectId: string, ids: readonly string[]): Promise<{ profileId: string; view: InAppMessage }[]> {
    const rows = (await this.dataSource.query(
      `SELECT id, profile_id, campaign_id, content, variant, created_at, expires_at FROM campaign_in_app_message WHERE project_id = $1 AND id = ANY($2::uuid[])`,
      [projectId, ids],
    )) as (MessageRow & { profile_id: string })[];
    return rows.map((row) => ({ profileId: row.profile_id, view: presentMessage(row) }));
  }
}

export function presentMessage(row: MessageRow): InAppMessage {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    title: row.content.title,
    body: row.content.body,
    imageUrl: row.content.imageUrl,
    layout: row.content.layout,
    buttons: row.content.buttons,
    custom: row.content.custom,
    variant: row.variant,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
