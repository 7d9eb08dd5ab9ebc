import { z } from 'zod';
import { ProfileSnapshotSchema } from './messages.js';

/** Most profiles in one ListProfileSnapshots page. */
export const MAX_PROFILE_SNAPSHOTS_PER_PAGE = 500;

/**
 * Core NATS request/reply: one page of the profiles that exist (merged and erased ones left out),
 * every project's, in id order, each as its ProfileChanged snapshot. A service whose projection of
 * profile attributes is new reads it page by page once, then follows `profiles.*.changed` (keeping
 * the snapshot with the latest `updatedAt`). A page may hold fewer than `limit` profiles and still
 * have a `next` (it ends where the reply would outgrow the payload limit): read until `next` is null.
 */
export const ListProfileSnapshots = {
  name: 'profiles.snapshots.list',
  request: z.object({
    after: z.string().uuid().nullable(),
    limit: z.number().int().min(1).max(MAX_PROFILE_SNAPSHOTS_PER_PAGE),
  }),
  reply: z.object({
    profiles: z.array(ProfileSnapshotSchema.extend({ projectId: z.string().uuid() })).max(MAX_PROFILE_SNAPSHOTS_PER_PAGE),
    next: z.string().uuid().nullable(),
  }),
} as const;

const propertyConditionShape = z.object({
  property: z.string().min(1),
  op: z.string().min(1),
  type: z.enum(['string', 'number', 'boolean', 'date']).optional(),
  value: z.union([z.string(), z.number(), z.boolean()]).optional(),
  values: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/** One behaviour leaf's hit spec (`HitSpec` of @boomerang/audience; validated there by the responder). */
export const LeafHitSpecSchema = z.object({
  steps: z.array(z.object({ name: z.string().min(1), where: z.array(propertyConditionShape).optional() })).min(1).max(5),
  valueProperty: z.string().min(1).optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  keepsHits: z.boolean(),
  /** Only events at or after this time (a sliding window's start at backfill time); absent: all history. */
  since: z.string().datetime({ offset: true }).optional(),
});

/**
 * Streamed request/reply (core NATS): `segments` asks `events` for the per-profile state of new
 * behaviour leaves over all stored events of one project. The request's reply subject receives
 * binary chunks (`encodeLeafHitRows` of @boomerang/audience: per leaf and profile, the summary
 * and kept hits of events older than `recentFrom`, and each event from `recentFrom` on as its own
 * row with its id, so the caller can dedupe those against its live path), then one JSON message,
 * `LeafBackfillDone`, with header `Boomerang-Stream-End`. Events linked to no profile are left out.
 */
export const BackfillLeafHits = {
  name: 'events.leaf-hits.backfill',
  request: z.object({
    projectId: z.string().uuid(),
    leaves: z.array(LeafHitSpecSchema).min(1).max(100),
    /** Events whose (UUIDv7) id is at or after this time come back one by one with their ids. */
    recentFrom: z.string().datetime({ offset: true }),
  }),
} as const;

/**
 * Streamed request/reply (core NATS): `segments` asks `events` which profiles meet new event
 * leaves (`EventRule`s of @boomerang/audience, validated there by the responder) at `at`, over all
 * stored events of one project: ONE grouped scan (`leafScanSql`), no per-profile state. The reply
 * subject receives binary chunks (`encodeLeafScanRows`: 16-byte profile id + u32 mask of the leaves
 * that hold, in profile id order, only profiles whose mask differs from that of a profile with no
 * hit), then one `LeafBackfillDone` with header `Boomerang-Stream-End`. Events linked to no profile
 * are left out, as in BackfillLeafHits.
 */
export const ScanEventLeaves = {
  name: 'events.event-leaves.scan',
  request: z.object({
    projectId: z.string().uuid(),
    /** The moment the verdicts are for (sliding windows end there). */
    at: z.string().datetime({ offset: true }),
    leaves: z.array(z.record(z.string(), z.unknown())).min(1).max(30),
  }),
} as const;

export const LeafBackfillDoneSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    rows: z.number().int().min(0),
    /** When the responder's snapshot began: events with ids minted later were not in it. */
    snapshotAt: z.string().datetime({ offset: true }),
  }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type LeafBackfillDone = z.infer<typeof LeafBackfillDoneSchema>;

/** Header on the last message of a streamed reply. */
export const STREAM_END_HEADER = 'Boomerang-Stream-End';
