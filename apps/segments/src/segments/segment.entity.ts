import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type SegmentKindValue = 'static' | 'dynamic';

@Entity({ name: 'segment' })
export class SegmentEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  /** static: an imported cohort with explicit members; dynamic: members follow `rules`. */
  @Column('text') kind: SegmentKindValue;
  /** The rule tree of a dynamic segment (a JSON object); null for static ones. */
  @Column('jsonb', { nullable: true }) rules: Record<string, unknown> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

export interface SegmentRow {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  kind: SegmentKindValue;
  rules: Record<string, unknown> | null;
  created_at: Date;
}

/** Maps a raw `segment` row (from hand-written SQL) to the entity. */
export function segmentFromRow(row: SegmentRow): SegmentEntity {
  return Object.assign(new SegmentEntity(), {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    kind: row.kind,
    rules: row.rules,
    createdAt: row.created_at,
  });
}
