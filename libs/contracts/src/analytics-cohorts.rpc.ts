import { z } from 'zod';

/** Most profiles in one SaveAnalyticsCohort chunk (16 bytes each: 320 KB, 427 KB in base64). */
export const MAX_ANALYTICS_COHORT_CHUNK = 20_000;

/**
 * Core NATS request/reply, answered by `segments`: profiles an analytics question picked out
 * (a funnel's drop-off, a lifecycle state, drivers' doers) saved as a STATIC segment, sent in
 * chunks of compact ids (`encodeProfileIds`) in order. Chunk 0 creates the segment, whose id is
 * `cohortId`; later chunks add members to it. A retried chunk adds nothing twice, so the caller
 * may resend any chunk that got no answer.
 */
export const SaveAnalyticsCohort = {
  name: 'segments.analytics-cohorts.save',
  request: z.object({
    projectId: z.string().uuid(),
    /** Chosen by the caller once per cohort: the segment's id. */
    cohortId: z.string().uuid(),
    name: z.string().min(1).max(200),
    description: z.string().max(1000).nullable(),
    /** 0 for the first chunk (creates the segment), then 1, 2, … */
    chunk: z.number().int().min(0),
    /** This chunk's profile ids, compact (`encodeProfileIds`). */
    profileIds: z.string().base64(),
    count: z.number().int().min(0).max(MAX_ANALYTICS_COHORT_CHUNK),
  }),
  reply: z.discriminatedUnion('ok', [
    z.object({
      ok: z.literal(true),
      segmentId: z.string().uuid(),
      /** Profiles of this chunk that were not members yet. */
      added: z.number().int().min(0),
    }),
    z.object({
      ok: z.literal(false),
      /** `unknown-cohort`: a chunk after 0 for a segment that does not exist; `not-a-cohort`: the id names a segment that is not this cohort's. */
      reason: z.enum(['unknown-cohort', 'not-a-cohort']),
    }),
  ]),
} as const;

export type SaveAnalyticsCohortReply = z.infer<typeof SaveAnalyticsCohort.reply>;
