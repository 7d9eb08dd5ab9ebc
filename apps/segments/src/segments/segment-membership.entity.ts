import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'segment_membership' })
export class SegmentMembershipEntity {
  @PrimaryColumn('uuid', { name: 'segment_id' }) segmentId: string;
  @PrimaryColumn('uuid', { name: 'profile_id' }) profileId: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('timestamptz', { name: 'added_at' }) addedAt: Date;
}
