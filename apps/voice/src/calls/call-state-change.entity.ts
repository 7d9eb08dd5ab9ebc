import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CallState } from './call.model.js';

/** One row per state a call entered: the call's timeline. */
@Entity({ name: 'call_state_change' })
export class CallStateChangeEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('uuid', { name: 'call_id' }) callId: string;
  @Column('text') state: CallState;
  @Column('timestamptz') at: Date;
  /** Insertion order, for states entered at the same instant. */
  @Column({ type: 'bigint', insert: false, update: false }) seq: string;
}
