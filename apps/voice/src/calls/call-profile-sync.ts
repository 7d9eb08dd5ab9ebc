import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileCreated, ProfileDeleted, ProfileMerged } from '@boomerang/contracts';
import { KnownProfiles, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { CallUpdates } from '../presence/call-updates.js';
import { LIVE_STATES } from './call-state-machine.js';
import type { CallState } from './call.model.js';

export const PROFILE_CREATED_DURABLE = 'voice-profile-created';

/**
 * Follows `profiles`: created profiles become known (tokens and calls are only for known profiles);
 * a merged profile is forgotten and its calls move to the survivor; an erased profile is forgotten
 * and its calls (with their timelines, masked identities, proxy numbers and reports) are deleted.
 * Each handler writes through the consumer's transaction, so the inbox row and the effect commit
 * together.
 */
@Injectable()
export class CallProfileSync {
  constructor(
    lifecycle: MessagingLifecycle,
    private readonly updates: CallUpdates,
    private readonly knownProfiles: KnownProfiles,
  ) {
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
      handle: async (body, { manager }) => void (await this.erase(manager, body.projectId, body.profileId)),
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
