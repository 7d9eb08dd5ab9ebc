import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileDeleted, ProfileMerged } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';

export const PROFILE_DELETED_DURABLE = 'segments-profile-deleted';
export const PROFILE_MERGED_DURABLE = 'segments-profile-merged';

/**
 * Follows `profiles`: an erased profile leaves every segment; a merged profile's memberships move
 * to the survivor. Each handler writes through the consumer's transaction, so the inbox row and
 * the effect commit together. Sizes are counted from memberships, so they follow without more.
 */
@Injectable()
export class SegmentProfileSync {
  constructor(lifecycle: MessagingLifecycle) {
    lifecycle.register({
      durable: PROFILE_DELETED_DURABLE,
      contract: ProfileDeleted,
      handle: (body, { manager }) => this.erase(manager, body.projectId, body.profileId),
    });
    lifecycle.register({
      durable: PROFILE_MERGED_DURABLE,
      contract: ProfileMerged,
      handle: (body, { manager }) => this.merge(manager, body.projectId, body.profileId, body.mergedProfileId),
    });
  }

  /** GDPR erasure: the profile leaves every segment of the project. */
  async erase(manager: EntityManager, projectId: string, profileId: string): Promise<void> {
    await manager.query(`DELETE FROM segment_membership WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId]);
  }

  /** The merged profile's memberships become the survivor's; where both were members, one row keeps the earlier `added_at`. */
  async merge(manager: EntityManager, projectId: string, survivorId: string, mergedId: string): Promise<void> {
    await manager.query(
      `WITH moved AS (
         DELETE FROM segment_membership WHERE project_id = $1 AND profile_id = $3
         RETURNING segment_id, added_at
       )
       INSERT INTO segment_membership (project_id, segment_id, profile_id, added_at)
       SELECT $1, segment_id, $2, added_at FROM moved
       ON CONFLICT (segment_id, profile_id) DO UPDATE SET added_at = LEAST(segment_membership.added_at, EXCLUDED.added_at)
       WHERE segment_membership.project_id = $1`,
      [projectId, survivorId, mergedId],
    );
  }
}
