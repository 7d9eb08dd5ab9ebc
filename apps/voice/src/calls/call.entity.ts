import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { CallBranding, CallEndReason } from './call-view.js';
import type { CallState } from './call.model.js';

/** Participants are profile ids only: voice stores no contact details of either side. */
@Entity({ name: 'call' })
export class CallEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('uuid', { name: 'caller_profile_id' }) callerProfileId: string;
  @Column('uuid', { name: 'callee_profile_id' }) calleeProfileId: string;
  @Column('text') reason: string;
  @Column('text', { nullable: true }) reference: string | null;
  @Column('jsonb') metadata: Record<string, unknown>;
  @Column('jsonb', { nullable: true }) branding: CallBranding | null;
  @Column('text') state: CallState;
  @Column('timestamptz', { name: 'placed_at' }) placedAt: Date;
  @Column('timestamptz', { name: 'answered_at', nullable: true }) answeredAt: Date | null;
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt: Date | null;
  /** While RINGING: when the call becomes MISSED. */
  @Column('timestamptz', { name: 'ring_expires_at', nullable: true }) ringExpiresAt: Date | null;
  /** While ANSWERED: when the call ends with MAX_DURATION. */
  @Column('timestamptz', { name: 'max_ends_at', nullable: true }) maxEndsAt: Date | null;
  @Column('text', { name: 'end_reason', nullable: true }) endReason: CallEndReason | null;
  /** From answer to end; null for calls never answered. */
  @Column('double precision', { name: 'duration_seconds', nullable: true }) durationSeconds: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
