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
  /** The current version of the rules (dynamic); 1 for static segments. */
  @Column('int') version: number;
  /** computing: leaves filling or members being computed; ready: members follow the rules live; failed: see `failure`. */
  @Column('text') status: SegmentStatusValue;
  @Column('text', { nullable: true }) failure: string | null;
  @Column('timestamptz', { name: 'computed_at', nullable: true }) computedAt: Date | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'archived_at', nullable: true }) archivedAt: Date | null;
  /** Not a column: the members the computation that answers createSegment wrote (its `size` without a count). */
  writtenSize?: number;
}

export type SegmentStatusValue = 'computing' | 'ready' | 'failed';

export interface SegmentRow {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  kind: SegmentKindValue;
  rules: Record<string, unknown> | null;
  created_at: Date;
  version: number;
  status: SegmentStatusValue;
  failure: string | null;
  computed_at: Date | null;
  updated_at: Date;
  archived_at: Date | null;
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
    version: row.version,
    status: row.status,
    failure: row.failure,
    computedAt: row.computed_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  });
}
