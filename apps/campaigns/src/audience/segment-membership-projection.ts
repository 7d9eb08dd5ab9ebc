import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';

export const SEGMENT_MEMBERSHIP_DURABLE = 'campaigns-segment-membership';

/**
 * Campaigns' own copy of segment memberships (`campaign_segment_member`), kept from segments'
 * SegmentMembershipChanged (one message per entry or exit, in stream order), so an occurrence
 * resolves its audience with one local query per page instead of a call to segments per send.
 * An exit keeps its row (`member` false): each row holds the time of its last change
 * (`changed_at`), and a change older than it is not applied, so a fill page (SegmentFill) and the
 * live messages meet in time order whichever arrives first.
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

  /** Applies changes in order: each sets the member's state unless the row changed later already. */
  async apply(manager: EntityManager, changes: readonly MessageOf<typeof SegmentMembershipChanged>[]): Promise<void> {
    for (const change of changes) {
      await manager.query(
        `INSERT INTO campaign_segment_member AS m (segment_id, profile_id, project_id, entered_at, member, changed_at) VALUES ($1, $2, $3, $4, $5, $4)
         ON CONFLICT (segment_id, profile_id) DO UPDATE
           SET member = EXCLUDED.member, changed_at = EXCLUDED.changed_at,
               entered_at = CASE WHEN EXCLUDED.member AND NOT m.member THEN EXCLUDED.entered_at ELSE m.entered_at END
           WHERE m.changed_at <= EXCLUDED.changed_at`,
        [change.segmentId, change.profileId, change.projectId, change.occurredAt, change.change === 'entered'],
      );
    }
  }

  /**
   * One page of a fill (ListSegmentMembers): `memberIds` are the members with ids in (after, next]
   * (to the end when `next` is null) as of `asOf`. Rows changed at or after `asOf` keep their state;
   * older ones take the page's: the page's ids are members, the range's other rows are not.
   */
  async applyPage(manager: EntityManager, projectId: string, segmentId: string, page: { after: string | null; next: string | null; memberIds: readonly string[]; asOf: Date }): Promise<void> {
    await manager.query(
      `INSERT INTO campaign_segment_member AS m (segment_id, profile_id, project_id, entered_at, member, changed_at)
       SELECT $1, id, $2, $3, true, $3 FROM unnest($4::uuid[]) AS id
       ON CONFLICT (segment_id, profile_id) DO UPDATE
         SET member = true, changed_at = EXCLUDED.changed_at, entered_at = CASE WHEN m.member THEN m.entered_at ELSE EXCLUDED.entered_at END
         WHERE m.changed_at < EXCLUDED.changed_at`,
      [segmentId, projectId, page.asOf, page.memberIds],
    );
    await manager.query(
      `UPDATE campaign_segment_member SET member = false, changed_at = $3
       WHERE project_id = $1 AND segment_id = $2 AND member AND changed_at < $3
         AND ($4::uuid IS NULL OR profile_id > $4) AND ($5::uuid IS NULL OR profile_id <= $5) AND profile_id <> ALL($6::uuid[])`,
      [projectId, segmentId, page.asOf, page.after, page.next, page.memberIds],
    );
  }
}
