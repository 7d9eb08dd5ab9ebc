import { z } from 'zod';
import { defineMessage } from './message.js';

const uuid = () => z.string().uuid();
const properties = z.record(z.string(), z.unknown());

export const ProjectCreated = defineMessage('workspace', 'project.created', z.object({ name: z.string().min(1) }));

export const ProfileCreated = defineMessage(
  'profiles',
  'created',
  z.object({ profileId: uuid(), externalId: z.string().nullable() }),
);

/** Segment's call types; `track` carries a named event, the others are named after the call. */
export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;

/** One event as the events service publishes it (inside EventsIngested). */
export const IngestedEventSchema = z.object({
  eventId: uuid(),
  messageId: z.string().min(1),
  profileId: uuid().nullable(),
  name: z.string().min(1),
  timestamp: z.string().datetime({ offset: true }),
  properties,
  type: z.enum(EVENT_TYPES).optional(),
  userId: z.string().min(1).nullable().optional(),
  anonymousId: z.string().min(1).nullable().optional(),
  /** identify: traits to set on the profile; alias: `{ previousId }`; group: `{ groupId, traits }`. */
  traits: properties.optional(),
  previousId: z.string().min(1).nullable().optional(),
  /** identify: the call's context (Segment `context`); profiles reads `timezone` and `locale`. */
  context: properties.optional(),
  /**
   * Segment `context.device.id`, any call; profiles records it as a `device_id` identity. At most 255
   * characters, held by the events service: compiled contracts state no maximum length (see defineMessage).
   */
  deviceId: z.string().min(1).optional(),
  /**
   * Sent with a secret key, or with a publishable key and a user token for this event's userId.
   * Unverified events never join a profile by email, phone or device, and never change contact
   * details, consent, or what a verified write set (absent: unverified).
   */
  verified: z.boolean().optional(),
});
export type IngestedEvent = z.infer<typeof IngestedEventSchema>;

/** Most events in one EventsIngested message (NATS' default payload limit is 1 MB). */
export const MAX_EVENTS_PER_MESSAGE = 500;

/**
 * Events committed together, in ingest order: one message per ingest transaction and project
 * (split at MAX_EVENTS_PER_MESSAGE), so JetStream stores, dedupes and delivers batches, not
 * single events. Each accepted event is in exactly one message.
 */
export const EventsIngested = defineMessage('events', 'ingested', z.object({ events: z.array(IngestedEventSchema).min(1).max(MAX_EVENTS_PER_MESSAGE) }), {
  compiled: true,
});

/**
 * Events stored before their user or anonymous id was linked to a profile (announced in
 * EventsIngested with no profileId), attached to it now that profiles identified it: the same
 * event bodies, each with the profile it now belongs to. Recorded through events' outbox in the
 * transaction that attaches them, MAX_EVENTS_PER_MESSAGE at most per message; an event is attached,
 * so announced here, at most once. Consumers that act per profile (triggers, live segments) read
 * it as they read EventsIngested's events; analytics does not (it folds waiting events itself).
 */
export const EventsAttached = defineMessage(
  'events',
  'attached',
  z.object({ events: z.array(IngestedEventSchema.extend({ profileId: uuid() })).min(1).max(MAX_EVENTS_PER_MESSAGE) }),
);

/** A profile now answers to these identities (events re-point their rows to it). */
export const ProfileIdentified = defineMessage(
  'profiles',
  'identified',
  z.object({ profileId: uuid(), userId: z.string().nullable(), anonymousIds: z.array(z.string()) }),
);

/** `mergedProfileId` was folded into `profileId`; services re-point their data to the survivor. */
export const ProfileMerged = defineMessage('profiles', 'merged', z.object({ profileId: uuid(), mergedProfileId: uuid() }));

/** GDPR erasure: every service deletes what it holds on the profile, in its tables and in the messages it published. */
export const ProfileDeleted = defineMessage(
  'profiles',
  'deleted',
  z.object({
    profileId: uuid(),
    /**
     * Keyed fingerprints (`IdentityFingerprints` in @boomerang/platform/messaging: HMAC-SHA256 under a
     * per-project key derived from the internal signing secret) of every identity the erased
     * profiles held (user and anonymous ids, email, phone, device ids), on the message of the profile
     * asked for; services find the person's data by them without this message naming an email or phone.
     */
    erasedIdentities: z.array(z.string().regex(/^[A-Za-z0-9_-]{43}$/)).optional(),
  }),
);

export const SegmentCreated = defineMessage('segments', 'created', z.object({ segmentId: uuid(), name: z.string() }));

export const CampaignCreated = defineMessage(
  'campaigns',
  'created',
  z.object({ campaignId: uuid(), audienceSegmentId: uuid().nullable() }),
);

export const JourneyCreated = defineMessage('journeys', 'created', z.object({ journeyId: uuid(), name: z.string() }));

export const EmailTemplateCreated = defineMessage(
  'email',
  'template.created',
  z.object({ templateId: uuid(), name: z.string() }),
);

export const CallPlaced = defineMessage(
  'voice',
  'call.placed',
  z.object({ callId: uuid(), callerProfileId: uuid(), calleeProfileId: uuid() }),
);

export const CALL_STATES = ['PLACED', 'RINGING', 'ANSWERED', 'ENDED', 'CANCELLED', 'DECLINED', 'MISSED', 'BUSY', 'UNREACHABLE', 'FAILED'] as const;
export const CALL_END_REASONS = [
  'HANG_UP_CALLER',
  'HANG_UP_CALLEE',
  'MAX_DURATION',
  'CONNECTION_LOST',
  'MEDIA_FAILED',
  'CANCELLED',
  'DECLINED',
  'MISSED',
  'BUSY',
  'UNREACHABLE',
] as const;

/**
 * Every state a call entered (PLACED first, `previousState` null), published in the transaction
 * that changed it. Profile ids and the call's context only: masked identities, proxy numbers and
 * contact details never leave voice.
 */
export const CallStateChanged = defineMessage(
  'voice',
  'call.state-changed',
  z.object({
    callId: uuid(),
    state: z.enum(CALL_STATES),
    previousState: z.enum(CALL_STATES).nullable(),
    callerProfileId: uuid(),
    calleeProfileId: uuid(),
    context: z.object({ reason: z.string(), reference: z.string().nullable(), metadata: properties }),
    at: z.string().datetime({ offset: true }),
    /** From answer to end, for ended calls that were answered. */
    durationSeconds: z.number().nonnegative().nullable(),
    endReason: z.enum(CALL_END_REASONS).nullable(),
  }),
);

/** Built-in profile attributes as other services see them (contact details: whether present, in `attributes`). */
export const ProfileSnapshotSchema = z.object({
  profileId: uuid(),
  /** The product's user id. */
  externalId: z.string().nullable(),
  /** Custom properties, typed as the property catalog says. */
  properties,
  attributes: z.object({
    /** `true` when the profile has one, else null (rules ask presence only). */
    email: z.literal(true).nullable(),
    phone: z.literal(true).nullable(),
    name: z.string().nullable(),
    timeZone: z.string().nullable(),
    locale: z.string().nullable(),
    createdAt: z.string().datetime({ offset: true }),
    /** Consent per channel: null when never stated. */
    emailSubscribed: z.boolean().nullable(),
    smsSubscribed: z.boolean().nullable(),
    pushSubscribed: z.boolean().nullable(),
    whatsappSubscribed: z.boolean().nullable(),
    phoneDnd: z.boolean().nullable(),
  }),
  /** The addresses channels send to (personal data: erased from the stream with the profile). */
  contact: z.object({ email: z.string().nullable(), phone: z.string().nullable() }),
  /** The profile's `updated_at`: a consumer keeps the snapshot with the latest one (ms precision; every change moves it by at least 1 ms). */
  updatedAt: z.string().datetime({ offset: true }),
});
export type ProfileSnapshot = z.infer<typeof ProfileSnapshotSchema>;

/**
 * A profile's state after a change that committed (created, identified with traits, properties,
 * consent, contact, time zone or locale set, or a merge's survivor): the whole snapshot, so a
 * consumer needs no other call and a lost intermediate state does not matter. One per changed
 * profile per transaction, read back from the row as written; none for tombstones or erased profiles.
 */
export const ProfileChanged = defineMessage('profiles', 'changed', ProfileSnapshotSchema);

/** What a segment membership change was caused by. */
export const MEMBERSHIP_CAUSES = ['event', 'profile', 'timer', 'segment', 'edit', 'import', 'rfm', 'merge', 'archive'] as const;

/**
 * A profile entered or left a segment. `version`: the segment version whose rules decided it;
 * `eventId`: the ingested event that caused it (cause `event`), else null.
 */
export const SegmentMembershipChanged = defineMessage(
  'segments',
  'membership-changed',
  z.object({
    segmentId: uuid(),
    profileId: uuid(),
    change: z.enum(['entered', 'exited']),
    version: z.number().int().min(1),
    cause: z.enum(MEMBERSHIP_CAUSES),
    eventId: uuid().nullable(),
  }),
  // One per transition: a new segment's members are published in tens of thousands at once.
  { compiled: true },
);
