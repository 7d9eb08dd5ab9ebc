import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { EVENT_TYPES } from '@boomerang/contracts';

export type EventType = (typeof EVENT_TYPES)[number];

/** Partitioned by month on `timestamp`; `(project_id, message_id)` uniqueness lives in `event_message_id`. */
@Entity({ name: 'event' })
export class EventEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('uuid', { name: 'profile_id', nullable: true }) profileId: string | null;
  /** The sender's dedupe key, unique per project; generated when the sender gives none. */
  @Column('text', { name: 'message_id' }) messageId: string;
  /** The Segment call: track, identify, page, screen, group or alias. */
  @Column('text') type: EventType;
  /** track: the event name; the other calls are named after the call. */
  @Column('text') name: string;
  @Column('text', { name: 'user_id', nullable: true }) userId: string | null;
  @Column('text', { name: 'anonymous_id', nullable: true }) anonymousId: string | null;
  /** track/page/screen: properties; identify: traits; group: { groupId, traits }; alias: { previousId }. */
  @Column('jsonb') properties: Record<string, unknown>;
  /** The sender's context (library, device, page, locale…). */
  @Column('jsonb', { nullable: true }) context: Record<string, unknown> | null;
  /** When it happened, by the sender's clock corrected for its skew when `sentAt` was given. */
  @Column('timestamptz') timestamp: Date;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt: Date | null;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
  /** Sent with a secret key or a user token for its userId (IngestEventCommand.verified). */
  @Column('boolean', { default: false }) verified: boolean;
}

export interface EventRow {
  id: string;
  project_id: string;
  profile_id: string | null;
  message_id: string;
  type: EventType;
  name: string;
  user_id: string | null;
  anonymous_id: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown> | null;
  timestamp: Date;
  sent_at: Date | null;
  received_at: Date;
  verified: boolean;
}

/** Maps a raw `event` row (from hand-written SQL) to the entity. */
export function eventFromRow(row: EventRow): EventEntity {
  return Object.assign(new EventEntity(), {
    id: row.id,
    projectId: row.project_id,
    profileId: row.profile_id,
    messageId: row.message_id,
    type: row.type,
    name: row.name,
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    properties: row.properties,
    context: row.context,
    timestamp: row.timestamp,
    sentAt: row.sent_at,
    receivedAt: row.received_at,
    verified: row.verified,
  });
}
