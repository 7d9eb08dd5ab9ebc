import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A profile as email knows it, from ProfileChanged (the newest by updatedAt). */
@Entity({ name: 'email_profile' })
export class EmailProfileEntity {
  @PrimaryColumn('uuid', { name: 'project_id' }) projectId: string;
  @PrimaryColumn('uuid', { name: 'profile_id' }) profileId: string;
  @Column('text', { nullable: true }) email: string | null;
  /** Consent to email: null when never stated. */
  @Column('boolean', { name: 'email_subscribed', nullable: true }) emailSubscribed: boolean | null;
  @Column('text', { nullable: true }) name: string | null;
  @Column('text', { name: 'time_zone', nullable: true }) timeZone: string | null;
  @Column('text', { nullable: true }) locale: string | null;
  @Column('jsonb') properties: Record<string, unknown>;
  /** Deleted or merged away: never sent to, never previewed. */
  @Column('boolean') erased: boolean;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
