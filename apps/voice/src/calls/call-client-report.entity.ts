import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CallRole } from './call-view.js';

/** Something a participant's client reported during a call, e.g. `microphone-denied`. */
@Entity({ name: 'call_client_report' })
export class CallClientReportEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('uuid', { name: 'call_id' }) callId: string;
  @Column('text') role: CallRole;
  @Column('text') kind: string;
  @Column('text', { nullable: true }) detail: string | null;
  @Column('timestamptz') at: Date;
}
