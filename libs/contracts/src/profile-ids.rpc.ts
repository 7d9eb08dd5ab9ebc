import { z } from 'zod';

/** Most profiles in one ListProfileIds page. */
export const MAX_PROFILE_IDS_PER_PAGE = 1000;

/**
 * Core NATS request/reply: one page of the profiles that exist (merged and erased ones left out),
 * every project's, in id order. A service whose projection of profiles is new reads it page by
 * page once (backfill), so it knows the profiles created before it followed `profiles.*.created`.
 */
export const ListProfileIds = {
  name: 'profiles.ids.list',
  request: z.object({
    /** The `next` of the previous page; null for the first. */
    after: z.string().uuid().nullable(),
    limit: z.number().int().min(1).max(MAX_PROFILE_IDS_PER_PAGE),
  }),
  reply: z.object({
    profiles: z.array(z.object({ projectId: z.string().uuid(), profileId: z.string().uuid() })).max(MAX_PROFILE_IDS_PER_PAGE),
    /** Where the next page starts; null after the last page. */
    next: z.string().uuid().nullable(),
  }),
} as const;

export type ProfileIdsPage = z.infer<typeof ListProfileIds.reply>;
