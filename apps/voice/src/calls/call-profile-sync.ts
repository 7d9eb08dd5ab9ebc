import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileCreated, ProfileDeleted, ProfileMerged, type MessageOf } from '@boomerang/contracts';
import type { Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { KnownProfiles, LOGGER, MESSAGING, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { CallUpdates } from '../presence/call-updates.js';
import { CallStreamErasure } from './call-stream-erasure.js';
import { LIVE_STATES } from './call-state-machine.js';
import type { CallState } from './call.model.js';

export const PROFILE_CREATED_DURABLE = 'voice-profile-created';

/**
 * Follows `profiles`: created profiles become known (tokens and calls are only for known profiles);
 * a merged profile is forgotten and its calls move to the survivor; an erased profile is forgotten
 * and its calls (with their timelines, masked identities, proxy numbers and reports) are deleted,
 * and so are the messages voice published about them. Each handler writes through the consumer's
 * transaction, so the inbox row and the effect commit together.
 */
@Injectable()
export class CallProfileSync {
  private readonly streamErasure: CallStreamErasure;

  constructor(
    lifecycle: MessagingLifecycle,
    private readonly updates: CallUpdates,
    private readonly knownProfiles: KnownProfiles,
    @Inject(MESSAGING) messaging: Messaging,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.streamErasure = new CallStreamErasure(messaging, logger);
    lifecycle.register({
      durable: PROFILE_CREATED_DURABLE,
      contract: ProfileCreated,
      handle: (body, { manager }) => knownProfiles.remember(manager, [body]),
      handleBatch: (messages, manager) => knownProfiles.remember(manager, messages.map((message) => message.body)),
    });
    lifecycle.register({
      durable: 'voice-profile-merged',
      contract: ProfileMerged,
      handle: (body, { manager }) => this.merge(manager, body.projectId, body.profileId, body.mergedProfileId),
    });
    lifecycle.register({
      durable: 'voice-profile-deleted',
      contract: ProfileDeleted,
      // The stream erasure reads the project's VOICE stream; erasures pulled together share it.
      longRunning: true,
      handle: (body, { manager }) => this.eraseWithMessages(manager, [body]),
      handleBatch: (messages, manager) => this.eraseWithMessages(manager, messages.map((message) => message.body)),
    });
  }

  async merge(manager: EntityManager, projectId: string, survivorId: string, mergedId: string): Promise<void> {
    await this.knownProfiles.forget(manager, projectId, mergedId);
    // A call between the two would become a call to oneself, which the model cannot hold.
    await this.deleteWhere(
      manager,
      projectId,
      `(caller_profile_id = $2 AND callee_profile_id = $3) OR (caller_profile_id = $3 AND callee_profile_id = $2)`,
      [survivorId, mergedId],
    );
    await manager.query(`UPDATE call SET caller_profile_id = $2 WHERE project_id = $1 AND caller_profile_id = $3`, [projectId, survivorId, mergedId]);
    await manager.query(`UPDATE call SET callee_profile_id = $2 WHERE project_id = $1 AND callee_profile_id = $3`, [projectId, survivorId, mergedId]);
    await manager.query(`UPDATE call_participant SET profile_id = $2 WHERE project_id = $1 AND profile_id = $3`, [projectId, survivorId, mergedId]);
  }

  /**
   * GDPR erasure of profiles: their calls, the messages about them still in the outbox (so none is
   * published after the scan), then every voice message naming them on the stream and in dead letters.
   */
  private async eraseWithMessages(manager: EntityManager, erasures: readonly MessageOf<typeof ProfileDeleted>[]): Promise<void> {
    for (const { projectId, profileId } of erasures) {
      await this.erase(manager, projectId, profileId);
      await manager.query(`DELETE FROM outbox WHERE project_id = $1 AND strpos(bodies::text, $2) > 0`, [projectId, profileId]);
    }
    await this.streamErasure.erase(erasures);
  }

  /** GDPR erasure: the profile is refused from now on, and every call it made or received goes. Returns the deleted call ids. */
  async erase(manager: EntityManager, projectId: string, profileId: string): Promise<string[]> {
    await this.knownProfiles.forget(manager, projectId, profileId);
    return this.deleteWhere(manager, projectId, `caller_profile_id = $2 OR callee_profile_id = $2`, [profileId]);
  }

  private async deleteWhere(manager: EntityManager, projectId: string, condition: string, parameters: string[]): Promise<string[]> {
    const [rows] = (await manager.query(`DELETE FROM call WHERE project_id = $1 AND (${condition}) RETURNING id, state`, [projectId, ...parameters])) as [
      { id: string; state: CallState }[],
      number,
    ];
    // Live calls vanish with the profile: media closes their rooms.
    for (const row of rows) if (LIVE_STATES.includes(row.state)) this.updates.announceTerminal(projectId, row.id);
    return rows.map((row) => row.id);
  }
}
