import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** `uncertain`: its dispatcher died while talking SMTP, so whether the server took it is unknown; never sent again. */
export const SEND_STATUSES = ['queued', 'sending', 'deferred', 'sent', 'failed', 'skipped', 'uncertain'] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

/**
 * One email to one profile, from its send command to its SMTP result. Until it is settled, the
 * dispatcher's queue (email_send_queue, raw SQL) holds its due time and claim: a send being sent is
 * `queued` (or `deferred`) here with a claim there, and its result carries the last attempt's claim,
 * mark and links over.
 */
@Entity({ name: 'email_send' })
export class EmailSendEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('text', { name: 'idempotency_key' }) idempotencyKey: string;
  @Column('uuid', { name: 'template_id' }) templateId: string;
  @Column('integer', { name: 'template_version' }) templateVersion: number;
  @Column('uuid', { name: 'profile_id' }) profileId: string;
  @Column('uuid', { name: 'campaign_id', nullable: true }) campaignId: string | null;
  @Column('uuid', { name: 'journey_id', nullable: true }) journeyId: string | null;
  @Column('jsonb') event: Record<string, unknown>;
  @Column('jsonb') campaign: Record<string, unknown>;
  @Column('text') status: SendStatus;
  /** Skipped: the SkipReason; failed or deferred: what went wrong. */
  @Column('text', { nullable: true }) reason: string | null;
  @Column('text', { name: 'to_address', nullable: true }) toAddress: string | null;
  @Column('integer') attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt: Date;
  @Column('timestamptz', { name: 'claimed_at', nullable: true }) claimedAt: Date | null;
  /** The Message-ID of the last SMTP attempt (`<sendId@domain>`). */
  @Column('text', { name: 'message_id', nullable: true }) messageId: string | null;
  /** Committed before the claim's SMTP attempt starts: a claim that expired with this set may have been sent. */
  @Column('timestamptz', { name: 'smtp_started_at', nullable: true }) smtpStartedAt: Date | null;
  @Column('text', { name: 'smtp_response', nullable: true }) smtpResponse: string | null;
  @Column('timestamptz', { name: 'sent_at', nullable: true }) sentAt: Date | null;
  /** The http(s) URLs of the sent HTML, by index: the only places a click redirects to. */
  @Column('jsonb') links: string[];
  @Column('integer', { name: 'open_count' }) openCount: number;
  @Column('timestamptz', { name: 'first_opened_at', nullable: true }) firstOpenedAt: Date | null;
  @Column('integer', { name: 'click_count' }) clickCount: number;
  @Column('timestamptz', { name: 'first_clicked_at', nullable: true }) firstClickedAt: Date | null;
  @Column('timestamptz', { name: 'unsubscribed_at', nullable: true }) unsubscribedAt: Date | null;
  @Column('text', { name: 'bounce_type', nullable: true }) bounceType: 'hard' | 'soft' | null;
  @Column('timestamptz', { name: 'bounced_at', nullable: true }) bouncedAt: Date | null;
  /** When its recipient reported it as spam (an ARF report): the address is suppressed, the profile unsubscribed. */
  @Column('timestamptz', { name: 'complained_at', nullable: true }) complainedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
