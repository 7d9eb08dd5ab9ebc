import { z } from 'zod';

/** Most members in one ListSegmentMembers page (16 bytes each: 320 KB, 427 KB in base64). */
export const MAX_SEGMENT_MEMBERS_PER_PAGE = 20_000;

/** Sorted profile ids as one compact value: their 16-byte binary forms concatenated, in base64. */
export function encodeProfileIds(ids: readonly string[]): string {
  return Buffer.from(ids.map((id) => id.replace(/-/g, '')).join(''), 'hex').toString('base64');
}

export function decodeProfileIds(encoded: string): string[] {
  const hex = Buffer.from(encoded, 'base64').toString('hex');
  const ids: string[] = [];
  for (let at = 0; at + 32 <= hex.length; at += 32)
    ids.push(`${hex.slice(at, at + 8)}-${hex.slice(at + 8, at + 12)}-${hex.slice(at + 12, at + 16)}-${hex.slice(at + 16, at + 20)}-${hex.slice(at + 20, at + 32)}`);
  return ids;
}

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
      /** The page's member ids in id order, compact (`encodeProfileIds`; `decodeProfileIds` reads them). */
      profileIds: z.string().base64(),
      count: z.number().int().min(0).max(MAX_SEGMENT_MEMBERS_PER_PAGE),
      /** Where the next page starts; null after the last page. */
      next: z.string().uuid().nullable(),
      /** When the page was read: membership changes that occurred after it are the live path's. */
      asOf: z.string().datetime({ offset: true }),
    }),
    z.object({ ok: z.literal(false), reason: z.enum(['unknown-segment']) }),
  ]),
} as const;

export type SegmentMembersPage = z.infer<typeof ListSegmentMembers.reply>;
