import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'event' })
export class EventEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('uuid', { name: 'profile_id', nullable: true }) profileId: string | null;
  /** The sender's dedupe key, unique per project; generated when the sender gives none. */
  @Column('text', { name: 'message_id' }) messageId: string;
  @Column('text') name: string;
  @Column('jsonb') properties: Record<string, unknown>;
  /** When it happened, by the sender's clock. */
  @Column('timestamptz') timestamp: Date;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
}

export interface EventRow {
  id: string;
  project_id: string;
  profile_id: string | null;
  message_id: string;
  name: string;
  properties: Record<string, unknown>;
  timestamp: Date;
  received_at: Date;
}

/** Maps a raw `event` row (from hand-written SQL) to the entity. */
export function eventFromRow(row: EventRow): EventEntity {
  return Object.assign(new EventEntity(), {
    id: row.id,
    projectId: row.project_id,
    profileId: row.profile_id,
    messageId: row.message_id,
    name: row.name,
    properties: row.properties,
    timestamp: row.timestamp,
    receivedAt: row.received_at,
  });
}
