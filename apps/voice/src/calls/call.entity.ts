import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
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
  @Column('text') state: CallState;
  @Column('timestamptz', { name: 'placed_at' }) placedAt: Date;
  @Column('timestamptz', { name: 'answered_at', nullable: true }) answeredAt: Date | null;
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
