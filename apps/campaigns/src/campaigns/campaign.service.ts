import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { CampaignCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { Clock, isUuid } from '@boomerang/platform/subgraph';
import { SegmentFill } from '../audience/segment-fill.js';
import { missingChannelContent } from '../channels/channel-content.js';
import { LateZones } from '../delivery/late-zones.js';
import { OccurrenceScheduler } from '../delivery/occurrence-scheduler.js';
import { QuietRelease } from '../delivery/quiet-release.js';
import { checkDayRule } from '../schedules/day-rule.js';
import { checkTrigger } from '../triggers/campaign-trigger.js';
import { TriggerFiring } from '../triggers/trigger-firing.js';
import { checkVariants } from '../variants/campaign-variants.js';
import { VariantPromotion } from '../variants/variant-promotion.js';
import { checkDefinition } from './campaign-definition.js';
import { canTransition, allowedTransitions } from './campaign-lifecycle.js';
import { CampaignEntity } from './campaign.entity.js';
import { CampaignError, CampaignErrorCode } from './campaign.errors.js';
import { CampaignChannel, CampaignStatus, QuietHoursBehavior } from './campaign.model.js';
import type { CreateCampaignInput } from './dto/create-campaign.input.js';
import type { UpdateCampaignInput } from './dto/update-campaign.input.js';

@Injectable()
export class CampaignService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly scheduler: OccurrenceScheduler,
    private readonly lateZones: LateZones,
    private readonly quietRelease: QuietRelease,
    private readonly segmentFill: SegmentFill,
    private readonly triggers: TriggerFiring,
    private readonly variantPromotion: VariantPromotion,
    private readonly clock: Clock,
  ) {}

  /** Creates a DRAFT campaign and announces it. */
  create(projectId: string, input: CreateCampaignInput): Promise<CampaignEntity> {
    const { audience, schedule, inApp, webhook } = checkDefinition(input);
    const trigger = checkTrigger(input.trigger, schedule !== null);
    // Variants without a campaign email: the first variant's template stands for it (sends use each variant's own).
    const variants = this.checkVariantTest(input, input.goal ?? null);
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      await manager.insert(CampaignEntity, {
        id,
        projectId,
        name: input.name,
        channel: input.channel,
        status: CampaignStatus.DRAFT,
        audienceSegmentId: audience.include.length === 1 && !audience.everyone ? audience.include[0]! : null,
        audience,
        schedule,
        templateId: input.email?.templateId ?? variants?.[0]?.templateId ?? null,
        templateVersion: input.email?.templateVersion ?? variants?.[0]?.templateVersion ?? null,
        quietHours: input.quietHours ?? QuietHoursBehavior.DEFER,
        controlPercent: input.controlPercent ?? 0,
        throttlePerMinute: input.throttlePerMinute ?? null,
        goalEvent: input.goal?.event ?? null,
        goalDays: input.goal?.withinDays ?? null,
        trigger,
        inApp,
        webhook,
        variants,
        variantTestEndsAt: input.variantPromotion?.endsAt ?? null,
        dayRule: checkDayRule(input.dayRule),
      });
      const campaign = await manager.findOneByOrFail(CampaignEntity, { id, projectId });
      if (campaign.variantTestEndsAt) await this.variantPromotion.schedule(manager, projectId, id, campaign.variantTestEndsAt);
      await this.segmentFill.request(manager, projectId, [...audience.include, ...audience.exclude]);
      await this.outbox.enqueue(manager, CampaignCreated, {
        projectId,
        occurredAt: campaign.createdAt.toISOString(),
        campaignId: id,
        audienceSegmentId: campaign.audienceSegmentId,
      });
      return campaign;
    });
  }

  /**
   * Changes a DRAFT or PAUSED campaign (others: CONFLICT naming `status`). The result is checked as
   * a whole, as at creation, so an error names the field (`input.<path>`) and the rule.
   */
  update(projectId: string, id: string, input: UpdateCampaignInput): Promise<CampaignEntity> {
    return this.dataSource.transaction(async (manager) => {
      const campaign = await this.locked(manager, projectId, id);
      if (campaign.status !== CampaignStatus.DRAFT && campaign.status !== CampaignStatus.PAUSED) {
        throw new CampaignError(CampaignErrorCode.IllegalStatusTransition, `Only a DRAFT or PAUSED campaign can be changed (this one is ${campaign.status.toUpperCase()}): pause it first`, 'status');
      }
      const given = <K extends keyof UpdateCampaignInput>(key: K) => input[key] !== undefined;
      const merged: CreateCampaignInput = {
        name: input.name ?? campaign.name,
        channel: input.channel ?? campaign.channel,
        audienceSegmentId: input.audienceSegmentId,
        audience:
          given('audience') || given('audienceSegmentId')
            ? input.audience
            : { everyone: campaign.audience.everyone, includeSegmentIds: campaign.audience.include, excludeSegmentIds: campaign.audience.exclude },
        schedule: given('schedule') ? input.schedule : campaign.schedule,
        email: given('email') ? input.email : campaign.templateId && campaign.templateVersion ? { templateId: campaign.templateId, templateVersion: campaign.templateVersion } : null,
        inApp: input.inApp,
        webhook: input.webhook,
        quietHours: input.quietHours ?? campaign.quietHours,
        controlPercent: given('controlPercent') ? input.controlPercent : campaign.controlPercent,
        throttlePerMinute: given('throttlePerMinute') ? input.throttlePerMinute : campaign.throttlePerMinute,
        goal: given('goal') ? input.goal : campaign.goalEvent && campaign.goalDays ? { event: campaign.goalEvent, withinDays: campaign.goalDays } : null,
      };
      const { audience, schedule, inApp, webhook } = checkDefinition(merged);
      const trigger = given('trigger') ? checkTrigger(input.trigger, schedule !== null) : campaign.trigger;
      const variants = given('variants') ? this.checkVariantTest({ ...merged, variants: input.variants, variantPromotion: given('variantPromotion') ? input.variantPromotion : campaign.variantTestEndsAt ? { endsAt: campaign.variantTestEndsAt } : null }, merged.goal ?? null) : campaign.variants;
      if (trigger && schedule) throw new CampaignError(CampaignErrorCode.InvalidDefinition, 'Invalid value for input.schedule: a triggered campaign sends when its trigger fires: give no schedule', 'input.schedule');
      await manager.update(CampaignEntity, { id, projectId }, {
        name: merged.name,
        channel: merged.channel,
        audienceSegmentId: audience.include.length === 1 && !audience.everyone ? audience.include[0]! : null,
        audience,
        schedule,
        templateId: merged.email?.templateId ?? variants?.[0]?.templateId ?? null,
        templateVersion: merged.email?.templateVersion ?? variants?.[0]?.templateVersion ?? null,
        ...(given('inApp') ? { inApp } : {}),
        ...(given('webhook') ? { webhook } : {}),
        quietHours: merged.quietHours!,
        controlPercent: merged.controlPercent ?? 0,
        throttlePerMinute: merged.throttlePerMinute ?? null,
        goalEvent: merged.goal?.event ?? null,
        goalDays: merged.goal?.withinDays ?? null,
        trigger,
        variants,
        ...(given('variantPromotion') ? { variantTestEndsAt: input.variantPromotion?.endsAt ?? null } : {}),
        ...(given('dayRule') ? { dayRule: checkDayRule(input.dayRule) } : {}),
      });
      if (given('variantPromotion') && input.variantPromotion) await this.variantPromotion.schedule(manager, projectId, id, input.variantPromotion.endsAt);
      await this.segmentFill.request(manager, projectId, [...audience.include, ...audience.exclude]);
      return manager.findOneByOrFail(CampaignEntity, { id, projectId });
    });
  }

  /** A new DRAFT campaign with the definition of another (any status); it has none of its sends. */
  duplicate(projectId: string, id: string, name?: string | null): Promise<CampaignEntity> {
    return this.dataSource.transaction(async (manager) => {
      const source = await this.locked(manager, projectId, id);
      const copyId = randomUUID();
      const { createdAt: _createdAt, updatedAt: _updatedAt, ...definition } = source;
      await manager.insert(CampaignEntity, { ...definition, id: copyId, name: name ?? `${source.name} (copy)`.slice(0, 200), status: CampaignStatus.DRAFT, sendingSince: null, variantWinner: null, variantTestEndsAt: null });
      const copy = await manager.findOneByOrFail(CampaignEntity, { id: copyId, projectId });
      await this.outbox.enqueue(manager, CampaignCreated, { projectId, occurredAt: copy.createdAt.toISOString(), campaignId: copyId, audienceSegmentId: copy.audienceSegmentId });
      return copy;
    });
  }

  /** The variants of a definition, and its test phase's rules: a promotion needs variants and a goal. */
  private checkVariantTest(input: Pick<CreateCampaignInput, 'variants' | 'variantPromotion' | 'channel'>, goal: CreateCampaignInput['goal']) {
    const variants = checkVariants(input.variants, input.channel === CampaignChannel.EMAIL);
    if (input.variantPromotion && (!variants || !goal)) {
      throw new CampaignError(CampaignErrorCode.InvalidDefinition, 'Invalid value for input.variantPromotion: promoting a winner needs variants and a goal', 'input.variantPromotion');
    }
    return variants;
  }

  private async locked(manager: EntityManager, projectId: string, id: string): Promise<CampaignEntity> {
    const campaign = isUuid(id) ? await manager.findOne(CampaignEntity, { where: { id, projectId }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!campaign) throw new CampaignError(CampaignErrorCode.CampaignNotFound, `No campaign ${id} in this project`, 'id');
    return campaign;
  }

  async get(projectId: string, id: string): Promise<CampaignEntity> {
    const campaign = isUuid(id) ? await this.dataSource.getRepository(CampaignEntity).findOneBy({ id, projectId }) : null;
    if (!campaign) throw new CampaignError(CampaignErrorCode.CampaignNotFound, `No campaign ${id} in this project`, 'id');
    return campaign;
  }

  list(projectId: string, status?: CampaignStatus | null): Promise<CampaignEntity[]> {
    return this.dataSource.getRepository(CampaignEntity).find({
      where: { projectId, ...(status ? { status } : {}) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Moves a campaign along its lifecycle; the row is locked so concurrent moves serialise. */
  updateStatus(projectId: string, id: string, to: CampaignStatus): Promise<CampaignEntity> {
    return this.dataSource.transaction(async (manager) => {
      const campaign = isUuid(id)
        ? await manager.findOne(CampaignEntity, { where: { id, projectId }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!campaign) throw new CampaignError(CampaignErrorCode.CampaignNotFound, `No campaign ${id} in this project`, 'id');
      if (!canTransition(campaign.status, to)) {
        const allowed = allowedTransitions(campaign.status).map((status) => status.toUpperCase());
        throw new CampaignError(
          CampaignErrorCode.IllegalStatusTransition,
          `A campaign cannot move from ${campaign.status.toUpperCase()} to ${to.toUpperCase()}` +
            (allowed.length ? ` (allowed: ${allowed.join(', ')})` : ` (${campaign.status.toUpperCase()} is final)`),
          'status',
        );
      }
      const sending = (status: CampaignStatus) => status === CampaignStatus.SCHEDULED || status === CampaignStatus.RUNNING;
      if (sending(to) && !sending(campaign.status)) await this.startSending(manager, campaign);
      if (to === CampaignStatus.COMPLETED) await this.stopSending(manager, campaign);
      await manager.update(CampaignEntity, { id, projectId }, { status: to });
      return manager.findOneByOrFail(CampaignEntity, { id, projectId });
    });
  }

  /**
   * A campaign that starts (or resumes) sending: it must be complete; its open occurrences (and
   * profiles held by quiet hours) get a job now, or, when it has none, its first occurrence is scheduled.
   */
  private async startSending(manager: EntityManager, campaign: CampaignEntity): Promise<void> {
    const missing = missingChannelContent(campaign);
    if (missing) throw new CampaignError(CampaignErrorCode.IncompleteCampaign, missing[1], missing[0]);
    // A triggered campaign sends to whoever fires it (within its audience, when it has one).
    if (campaign.trigger) return this.triggers.start(manager, campaign, this.clock.now());
    if (!campaign.audience.everyone && campaign.audience.include.length === 0) {
      throw new CampaignError(CampaignErrorCode.IncompleteCampaign, 'The campaign targets nobody: set audience.everyone or audience.includeSegmentIds', 'audience');
    }
    const now = this.clock.now();
    // Open work (an occurrence not done, or profiles held by quiet hours) resumes; a new first occurrence would send again.
    if (await this.scheduler.hasOpenWork(manager, campaign.id)) {
      await this.lateZones.coverAll(manager, campaign); // zones learnt while it was paused
      return this.scheduler.resume(manager, campaign.projectId, campaign.id, now);
    }
    if (!(await this.scheduler.scheduleFirst(manager, campaign, now))) throw new CampaignError(CampaignErrorCode.IncompleteCampaign, 'The schedule has no occurrence left', 'schedule');
  }

  /** A completed campaign sends nothing more: profiles held by quiet hours are decided skipped, waiting trigger firings cancelled. */
  private async stopSending(manager: EntityManager, campaign: CampaignEntity): Promise<void> {
    const now = this.clock.now();
    await this.quietRelease.dropHeld(manager, campaign, now);
    if (campaign.trigger) await this.triggers.stop(manager, campaign);
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<CampaignEntity[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(CampaignEntity).findBy({ id: In(valid), projectId });
  }
}
