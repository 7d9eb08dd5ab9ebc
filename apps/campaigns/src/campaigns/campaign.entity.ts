import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { CampaignChannel, CampaignStatus } from './campaign.model.js';

export interface CampaignScheduleValue {
  startAt: Date;
  timeZone: string;
}

/** jsonb holds `startAt` as an ISO string; the domain works with a Date. */
const scheduleColumn = {
  to: (value: CampaignScheduleValue | null | undefined) =>
    value ? { startAt: value.startAt.toISOString(), timeZone: value.timeZone } : value,
  from: (value: { startAt: string; timeZone: string } | null) =>
    value ? { startAt: new Date(value.startAt), timeZone: value.timeZone } : null,
};

@Entity({ name: 'campaign' })
export class CampaignEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('text') name: string;
  @Column('text') channel: CampaignChannel;
  @Column('text') status: CampaignStatus;
  @Column('uuid', { name: 'audience_segment_id', nullable: true }) audienceSegmentId: string | null;
  @Column('jsonb', { nullable: true, transformer: scheduleColumn }) schedule: CampaignScheduleValue | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
