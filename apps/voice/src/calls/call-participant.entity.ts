import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CallRole } from './call-view.js';

/**
 * A profile's part in one call and the masked identity the other side sees. The proxy number is
 * a session identifier (modelled on proxy sessions): live while the call is and until
 * `proxy_expires_at`; this table is the only place it maps back to the profile.
 */
@Entity({ name: 'call_participant' })
export class CallParticipantEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('uuid', { name: 'call_id' }) callId: string;
  @Column('text') role: CallRole;
  @Column('uuid', { name: 'profile_id' }) profileId: string;
  @Column('text', { name: 'display_name' }) displayName: string;
  @Column('text', { name: 'role_label', nullable: true }) roleLabel: string | null;
  @Column('text', { name: 'avatar_url', nullable: true }) avatarUrl: string | null;
  @Column('text', { name: 'proxy_number' }) proxyNumber: string;
  /** Null while the call is live; its end plus VOICE_PROXY_TTL_SECONDS afterwards. */
  @Column('timestamptz', { name: 'proxy_expires_at', nullable: true }) proxyExpiresAt: Date | null;
}
