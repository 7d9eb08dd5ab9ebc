import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileCreated, ProfileDeleted, ProfileMerged } from '@boomerang/contracts';
import { KnownProfiles, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { ProfileLifecycle } from '../audience/profile-lifecycle.js';

export const PROFILE_CREATED_DURABLE = 'segments-profile-created';
export const PROFILE_DELETED_DURABLE = 'segments-profile-deleted';
export const PROFILE_MERGED_DURABLE = 'segments-profile-merged';

/**
 * Follows `profiles`: created profiles become known (members may only be known profiles); an
 * erased profile is forgotten and leaves every segment; a merged profile is forgotten and its
 * memberships move to the survivor. Each handler writes through the consumer's transaction, so
 * the inbox row and the effect commit together. Sizes are counted from memberships, so they
 * follow without more.
 */
@Injectable()
export class SegmentProfileSync {
  constructor(
    lifecycle: MessagingLifecycle,
    private readonly knownProfiles: KnownProfiles,
    private readonly audience: ProfileLifecycle,
  ) {
    lifecycle.register({
      durable: PROFILE_CREATED_DURABLE,
      contract: ProfileCreated,
      handle: (body, { manager }) => knownProfiles.remember(manager, [body]),
      handleBatch: (messages, manager) => knownProfiles.remember(manager, messages.map((message) => message.body)),
    });
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

  /** GDPR erasure: the profile is refused from now on and leaves every segment of the project. */
  async erase(manager: EntityManager, projectId: string, profileId: string): Promise<void> {
    await this.knownProfiles.forget(manager, projectId, profileId);
    // Through the project's segments (never deleted): memberships have no index by profile.
    await manager.query(`DELETE FROM segment_membership m USING segment s WHERE s.project_id = $1 AND m.segment_id = s.id AND m.profile_id = $2`, [projectId, profileId]);
    await this.audience.erase(manager, projectId, profileId);
  }

  /**
   * The merged profile is refused from now on; its static memberships become the survivor's (where
   * both were members, one row keeps the earlier `added_at`), its dynamic ones end, and the
   * survivor, now holding its events, is judged again for every dynamic segment.
   */
  async merge(manager: EntityManager, projectId: string, survivorId: string, mergedId: string): Promise<void> {
    await this.knownProfiles.forget(manager, projectId, mergedId);
    await manager.query(
      `DELETE FROM segment_membership m USING segment s WHERE s.project_id = $1 AND s.kind = 'dynamic' AND m.segment_id = s.id AND m.profile_id = $2`,
      [projectId, mergedId],
    );
    await manager.query(
      `WITH moved AS (
         DELETE FROM segment_membership m USING segment s WHERE s.project_id = $1 AND m.segment_id = s.id AND m.profile_id = $3
         RETURNING m.segment_id, m.added_at
       )
       INSERT INTO segment_membership (project_id, segment_id, profile_id, added_at)
       SELECT $1, segment_id, $2, added_at FROM moved
       ON CONFLICT (segment_id, profile_id) DO UPDATE SET added_at = LEAST(segment_membership.added_at, EXCLUDED.added_at)
       WHERE segment_membership.project_id = $1`,
      [projectId, survivorId, mergedId],
    );
    await this.audience.merge(manager, projectId, survivorId, mergedId);
  }
}
