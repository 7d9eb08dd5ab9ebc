import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { EmailFormat } from './email-layout.js';
import type { StoredPromotion } from './promotion-storage.js';

/** One version of a template, never changed once written. */
@Entity({ name: 'email_template_version' })
export class EmailTemplateVersionEntity {
  @PrimaryColumn('uuid', { name: 'template_id' }) templateId: string;
  @PrimaryColumn('integer') version: number;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('text') format: EmailFormat;
  @Column('text') subject: string;
  @Column('text', { nullable: true }) preheader: string | null;
  @Column('text', { name: 'from_name', nullable: true }) fromName: string | null;
  @Column('text', { name: 'from_address', nullable: true }) fromAddress: string | null;
  @Column('text', { name: 'reply_to', nullable: true }) replyTo: string | null;
  @Column('text') body: string;
  @Column('text', { name: 'text_body', nullable: true }) textBody: string | null;
  @Column('jsonb', { nullable: true }) promotion: StoredPromotion | null;
  @Column('text', { name: 'compiled_html' }) compiledHtml: string;
  @Column('text', { name: 'text_template' }) textTemplate: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
