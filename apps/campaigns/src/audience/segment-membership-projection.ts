import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';

export const SEGMENT_MEMBERSHIP_DURABLE = 'campaigns-segment-membership';

/**
 * Campaigns' own copy of segment memberships (`campaign_segment_member`), kept from segments'
 * SegmentMembershipChanged (one message per entry or exit, in stream order), so an occurrence
 * resolves its audience with one local query per page instead of a call to segments per send.
 */
@Injectable()
export class SegmentMembershipProjection {
  constructor(lifecycle: MessagingLifecycle) {
    lifecycle.register({
      durable: SEGMENT_MEMBERSHIP_DURABLE,
      contract: SegmentMembershipChanged,
      handle: (body, { manager }) => this.apply(manager, [body]),
      handleBatch: (messages, manager) => this.apply(manager, messages.map((message) => message.body)),
    });
  }

  /** Applies changes in order: an entry adds the member (kept once), an exit removes it. */
  async apply(manager: EntityManager, changes: readonly MessageOf<typeof SegmentMembershipChanged>[]): Promise<void> {
    for (const change of changes) {
      if (change.change === 'entered') {
        await manager.query(
          `INSERT INTO campaign_segment_member (segment_id, profile_id, project_id, entered_at) VALUES ($1, $2, $3, $4) ON CONFLICT (segment_id, profile_id) DO NOTHING`,
          [change.segmentId, change.profileId, change.projectId, change.occurredAt],
        );
      } else {
        await manager.query(`DELETE FROM campaign_segment_member WHERE segment_id = $1 AND profile_id = $2 AND project_id = $3`, [change.segmentId, change.profileId, change.projectId]);
      }
    }
  }
}
