import { z } from 'zod';

/** Most members in one ListSegmentMembers page. */
export const MAX_SEGMENT_MEMBERS_PER_PAGE = 5000;

/**
 * Core NATS request/reply, answered by `segments`: one page of a segment's current members, in
 * profile id order. Campaigns keeps its own projection of memberships from
 * SegmentMembershipChanged; a new projection (or one that fell behind the SEGMENTS stream's
 * retention) is filled once from these pages, resumably, with `asOf` marking where the live
 * messages take over.
 */
export const ListSegmentMembers = {
  name: 'segments.members.list',
  request: z.object({
    projectId: z.string().uuid(),
    segmentId: z.string().uuid(),
    /** The `next` of the previous page; null for the first. */
    after: z.string().uuid().nullable(),
    limit: z.number().int().min(1).max(MAX_SEGMENT_MEMBERS_PER_PAGE),
  }),
  reply: z.discriminatedUnion('ok', [
    z.object({
      ok: z.literal(true),
      profileIds: z.array(z.string().uuid()).max(MAX_SEGMENT_MEMBERS_PER_PAGE),
      /** Where the next page starts; null after the last page. */
      next: z.string().uuid().nullable(),
      /** When the page was read: membership changes that occurred after it are the live path's. */
      asOf: z.string().datetime({ offset: true }),
    }),
    z.object({ ok: z.literal(false), reason: z.enum(['unknown-segment']) }),
  ]),
} as const;

export type SegmentMembersPage = z.infer<typeof ListSegmentMembers.reply>;
