import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { JourneyGraphValue } from './journey-graph.js';
import type { JourneyStatus } from './journey.model.js';

@Entity({ name: 'journey' })
export class JourneyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('text') name: string;
  @Column('text') status: JourneyStatus;
  @Column('integer') version: number;
  @Column('jsonb') graph: JourneyGraphValue;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
