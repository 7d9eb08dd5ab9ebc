import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** How a project sends. The SMTP URL (credentials included) is stored sealed and never returned. */
@Entity({ name: 'email_sender_settings' })
export class SenderSettingsEntity {
  @PrimaryColumn('uuid', { name: 'project_id' }) projectId: string;
  @Column('text', { name: 'smtp_url_sealed', nullable: true }) smtpUrlSealed: string | null;
  /** The URL's host alone, to show which server is set. */
  @Column('text', { name: 'smtp_host', nullable: true }) smtpHost: string | null;
  @Column('text', { name: 'from_address' }) fromAddress: string;
  @Column('text', { name: 'from_name', nullable: true }) fromName: string | null;
  @Column('text', { name: 'reply_to', nullable: true }) replyTo: string | null;
  @Column('integer', { name: 'max_connections' }) maxConnections: number;
  @Column('boolean', { name: 'consent_required' }) consentRequired: boolean;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
