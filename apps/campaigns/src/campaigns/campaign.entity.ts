import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { InAppContent } from '../in-app/in-app-content.js';
import type { WebhookTarget } from '../webhooks/webhook-target.js';
import type { DayRuleValue } from '../schedules/day-rule.js';
import type { CampaignTriggerValue } from '../triggers/campaign-trigger.js';
import type { CampaignVariantValue } from '../variants/campaign-variants.js';
import type { CampaignChannel, CampaignStatus, QuietHoursBehavior } from './campaign.model.js';

/** One-time at `startAt`, or every occurrence of `rrule` (RFC 5545, local times in `timeZone`) from `startAt` until `endAt`. */
export interface CampaignScheduleValue {
  startAt: Date;
  timeZone: string;
  rrule: string | null;
  endAt: Date | null;
  /** Each occurrence (once, or each of the recurrence) at its wall-clock time (read in `timeZone`) in each profile's own zone. */
  inProfileTimeZone?: boolean;
  /** With inProfileTimeZone: a profile whose zone appears after its local time passed today gets the send at once (else at its zone's next occurrence). */
  catchUpLateZones?: boolean;
}

/** Everyone the project knows, or the members of any `include` segment; members of an `exclude` segment never. */
export interface CampaignAudienceValue {
  everyone: boolean;
  include: string[];
  exclude: string[];
}

/** jsonb holds dates as ISO strings; the domain works with Dates. */
const scheduleColumn = {
  to: (value: CampaignScheduleValue | null | undefined) =>
    value
      ? { startAt: value.startAt.toISOString(), timeZone: value.timeZone, rrule: value.rrule, endAt: value.endAt?.toISOString() ?? null, ...(value.inProfileTimeZone ? { inProfileTimeZone: true } : {}), ...(value.catchUpLateZones ? { catchUpLateZones: true } : {}) }
      : value,
  from: (value: { startAt: string; timeZone: string; rrule?: string | null; endAt?: string | null; inProfileTimeZone?: boolean; catchUpLateZones?: boolean } | null): CampaignScheduleValue | null =>
    value
      ? {
          startAt: new Date(value.startAt),
          timeZone: value.timeZone,
          rrule: value.rrule ?? null,
          endAt: value.endAt ? new Date(value.endAt) : null,
          inProfileTimeZone: value.inProfileTimeZone === true,
          catchUpLateZones: value.catchUpLateZones === true,
        }
      : null,
};

@Entity({ name: 'campaign' })
export class CampaignEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'project_id' }) projectId: string;
  @Column('text') name: string;
  @Column('text') channel: CampaignChannel;
  @Column('text') status: CampaignStatus;
  @Column('uuid', { name: 'audience_segment_id', nullable: true }) audienceSegmentId: string | null;
  @Column('jsonb') audience: CampaignAudienceValue;
  @Column('jsonb', { nullable: true, transformer: scheduleColumn }) schedule: CampaignScheduleValue | null;
  @Column('uuid', { name: 'template_id', nullable: true }) templateId: string | null;
  @Column('int', { name: 'template_version', nullable: true }) templateVersion: number | null;
  @Column('text', { name: 'quiet_hours' }) quietHours: QuietHoursBehavior;
  @Column('int', { name: 'control_percent' }) controlPercent: number;
  @Column('int', { name: 'throttle_per_minute', nullable: true }) throttlePerMinute: number | null;
  @Column('text', { name: 'goal_event', nullable: true }) goalEvent: string | null;
  @Column('int', { name: 'goal_days', nullable: true }) goalDays: number | null;
  @Column('jsonb', { nullable: true }) trigger: CampaignTriggerValue | null;
  /** A triggered campaign reacts to causes announced from this moment (set each time it starts sending). */
  @Column('timestamptz', { name: 'sending_since', nullable: true }) sendingSince: Date | null;
  @Column('jsonb', { nullable: true }) variants: CampaignVariantValue[] | null;
  @Column('timestamptz', { name: 'variant_test_ends_at', nullable: true }) variantTestEndsAt: Date | null;
  @Column('text', { name: 'variant_winner', nullable: true }) variantWinner: string | null;
  @Column('jsonb', { name: 'day_rule', nullable: true }) dayRule: DayRuleValue | null;
  @Column('jsonb', { name: 'in_app', nullable: true }) inApp: InAppContent | null;
  @Column('jsonb', { nullable: true }) webhook: WebhookTarget | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
