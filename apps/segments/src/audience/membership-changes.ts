import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SegmentMembershipChanged, type MEMBERSHIP_CAUSES } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';

export type MembershipCause = (typeof MEMBERSHIP_CAUSES)[number];

export interface MembershipTransition {
  readonly segmentId: string;
  readonly version: number;
  readonly profileId: string;
  readonly change: 'entered' | 'exited';
  readonly cause: MembershipCause;
  readonly eventId: string | null;
}

/**
 * Writes entries and exits: the membership rows, the day's size counters, and one
 * `SegmentMembershipChanged` per transition through the outbox, all in the caller's transaction
 * (a transition is published if and only if it committed).
 */
@Injectable()
export class MembershipChanges {
  constructor(private readonly outbox: OutboxWriter) {}

  async apply(manager: EntityManager, projectId: string, transitions: readonly MembershipTransition[], now: Date): Promise<void> {
    if (transitions.length === 0) return;
    for (let start = 0; start < transitions.length; start += 5000) {
      const chunk = transitions.slice(start, start + 5000);
      const entered = chunk.filter((t) => t.change === 'entered');
      const exited = chunk.filter((t) => t.change === 'exited');
      if (entered.length)
        await manager.query(
          `INSERT INTO segment_membership (project_id, segment_id, profile_id, added_at, version)
           SELECT $1, segment_id, profile_id, $4, version FROM unnest($2::uuid[], $3::uuid[], $5::int[]) AS t(segment_id, profile_id, version)
           ON CONFLICT (segment_id, profile_id) DO NOTHING`,
          [projectId, entered.map((t) => t.segmentId), entered.map((t) => t.profileId), now, entered.map((t) => t.version)],
        );
      if (exited.length)
        await manager.query(
          `DELETE FROM segment_membership m USING unnest($2::uuid[], $3::uuid[]) AS t(segment_id, profile_id)
           WHERE m.project_id = $1 AND m.segment_id = t.segment_id AND m.profile_id = t.profile_id`,
          [projectId, exited.map((t) => t.segmentId), exited.map((t) => t.profileId)],
        );
      const counts = new Map<string, { entered: number; exited: number }>();
      for (const t of chunk) {
        const count = counts.get(t.segmentId) ?? { entered: 0, exited: 0 };
        count[t.change]++;
        counts.set(t.segmentId, count);
      }
      await manager.query(
        `INSERT INTO segment_size_change (project_id, segment_id, day, entered, exited)
         SELECT $1, segment_id, ($2::timestamptz AT TIME ZONE 'UTC')::date, entered, exited FROM unnest($3::uuid[], $4::int[], $5::int[]) AS t(segment_id, entered, exited)
         ON CONFLICT (segment_id, day) DO UPDATE SET entered = segment_size_change.entered + EXCLUDED.entered, exited = segment_size_change.exited + EXCLUDED.exited`,
        [projectId, now, [...counts.keys()], [...counts.values()].map((c) => c.entered), [...counts.values()].map((c) => c.exited)],
      );
      await this.outbox.enqueueMany(
        manager,
        SegmentMembershipChanged,
        chunk.map((t) => ({
          projectId,
          occurredAt: now.toISOString(),
          segmentId: t.segmentId,
          profileId: t.profileId,
          change: t.change,
          version: t.version,
          cause: t.cause,
          eventId: t.eventId,
        })),
      );
    }
  }
}
