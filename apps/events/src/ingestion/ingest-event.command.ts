import type { EventType } from '../events/event.entity.js';

/** One validated event to record, whichever door it came in by (SDK HTTP API or GraphQL `track`). */
export interface IngestEventCommand {
  /** The sender's dedupe key (already generated when the sender gave none). */
  messageId: string;
  type: EventType;
  name: string;
  profileId: string | null;
  userId: string | null;
  anonymousId: string | null;
  properties: Record<string, unknown>;
  /** identify: the traits; group: `{ groupId, traits }` (published on EventIngested). */
  traits: Record<string, unknown> | null;
  /** alias: the identity being aliased. */
  previousId: string | null;
  context: Record<string, unknown> | null;
  /** Already corrected for the sender's clock skew. */
  timestamp: Date;
  sentAt: Date | null;
  receivedAt: Date;
  /**
   * Sent with a secret key, or with a publishable key and a user token for its userId (see
   * UserVerification); only verified events may change what identifies or reaches a person.
   * Absent: not verified.
   */
  verified?: boolean;
}

export interface IngestEventsResult {
  /** The events inserted by this call (commands whose messageId was new), in command order. */
  inserted: number;
  /** Ids of the events now stored for each command: new, or recorded earlier under its messageId. */
  eventIds: string[];
}
