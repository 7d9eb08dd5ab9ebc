import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Consent } from './profile-traits.js';

@Entity({ name: 'profile' })
export class ProfileEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  /** The product's own user id; unique per project when set. */
  @Column('text', { name: 'external_id', nullable: true }) externalId: string | null;
  @Column('text', { name: 'anonymous_id', nullable: true }) anonymousId: string | null;
  /** Personal data: never logged, shown only to secret keys. */
  @Column('text', { nullable: true }) email: string | null;
  /** Personal data (E.164): never logged, shown only to secret keys. */
  @Column('text', { nullable: true }) phone: string | null;
  @Column('text', { nullable: true }) name: string | null;
  /** IANA time zone name (canonical, as Intl gives it). */
  @Column('text', { name: 'time_zone', nullable: true }) timeZone: string | null;
  /** BCP 47 language tag (canonical). */
  @Column('text', { nullable: true }) locale: string | null;
  @Column('jsonb') properties: Record<string, unknown>;
  /** What a verified write set last (`name`, `time_zone`, `locale`, `properties.<name>`); unverified writes leave these alone. */
  @Column('text', { name: 'verified_fields', array: true, default: () => "'{}'" }) verifiedFields: string[];
  /** Per channel: `{ email: { subscribed, updatedAt }, phone: { dnd, updatedAt } }`; shown only to secret keys. */
  @Column('jsonb', { default: () => "'{}'::jsonb" }) consent: Consent;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** Set when this profile was merged into another: a tombstone, hidden from lists and look-ups. */
  @Column('uuid', { name: 'merged_into', nullable: true }) mergedInto: string | null;
  @Column('timestamptz', { name: 'merged_at', nullable: true }) mergedAt: Date | null;
}
