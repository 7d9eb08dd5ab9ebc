import { z } from 'zod';
import { defineMessage } from './message.js';

const uuid = () => z.string().uuid();
const properties = z.record(z.string(), z.unknown());

/**
 * A command to email one profile (campaigns, journeys). `idempotencyKey` is unique per project:
 * a command repeated with the same key sends at most one email. The version is pinned by the
 * sender, so an edit after the command does not change what goes out.
 */
export const EmailSendRequested = defineMessage(
  'email',
  'send-requested',
  z.object({
    templateId: uuid(),
    templateVersion: z.number().int().min(1),
    profileId: uuid(),
    campaignId: uuid().nullable(),
    journeyId: uuid().nullable(),
    idempotencyKey: z.string().min(1).max(200),
    /** The triggering event's properties (`event` in the template). */
    event: properties.optional(),
    /** Campaign data (`campaign` in the template). */
    campaign: properties.optional(),
  }),
);

/** The events email reports on a profile; `events` ingests each as a `track` event of this name. */
export const EMAIL_EVENT_NAMES = [
  'Email Sent',
  'Email Delivered',
  'Email Skipped',
  'Email Failed',
  'Email Opened',
  'Email Clicked',
  'Email Bounced',
  'Email Unsubscribed',
  'Email Complained',
] as const;

/** One fact about an email: its message id (`email:<sendId>:<event>[:<n>]`), its event name and properties. */
const engagementFact = {
  messageId: z.string().min(1).max(200),
  event: z.enum(EMAIL_EVENT_NAMES),
  properties,
};

/**
 * What happened to one email, published in the transaction that recorded it. `messageId` is
 * unique per fact: the ingested event's message id, so a redelivery records nothing twice.
 * `properties` become the event's properties (sendId, templateId, templateVersion, campaignId,
 * journeyId, and per event: reason, url, smtpResponse). `also`: further facts about the same send
 * at the same moment (`Email Delivered` beside `Email Sent`), each becoming its own event with its
 * own message id and whole properties, so one message carries both; absent from single reports
 * and from the messages written before it existed.
 */
export const EmailEngagement = defineMessage(
  'email',
  'engagement',
  z.object({
    ...engagementFact,
    profileId: uuid(),
    at: z.string().datetime({ offset: true }),
    also: z.array(z.object(engagementFact)).min(1).max(8).optional(),
  }),
);
