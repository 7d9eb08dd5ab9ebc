import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { CampaignCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { isUuid } from '@boomerang/platform/subgraph';
import { canTransition, allowedTransitions } from './campaign-lifecycle.js';
import { CampaignEntity } from './campaign.entity.js';
import { CampaignError, CampaignErrorCode } from './campaign.errors.js';
import { CampaignStatus } from './campaign.model.js';
import type { CreateCampaignInput } from './dto/create-campaign.input.js';

@Injectable()
export class CampaignService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Creates a DRAFT campaign and announces it. */
  create(projectId: string, input: CreateCampaignInput): Promise<CampaignEntity> {
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      await manager.insert(CampaignEntity, {
        id,
        projectId,
        name: input.name,
        channel: input.channel,
        status: CampaignStatus.DRAFT,
        audienceSegmentId: input.audienceSegmentId ?? null,
        schedule: input.schedule ? { startAt: input.schedule.startAt, timeZone: input.schedule.timeZone } : null,
      });
      const campaign = await manager.findOneByOrFail(CampaignEntity, { id, projectId });
      await this.outbox.enqueue(manager, CampaignCreated, {
        projectId,
        occurredAt: campaign.createdAt.toISOString(),
        campaignId: id,
        audienceSegmentId: campaign.audienceSegmentId,
      });
      return campaign;
    });
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
      await manager.update(CampaignEntity, { id, projectId }, { status: to });
      return manager.findOneByOrFail(CampaignEntity, { id, projectId });
    });
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<CampaignEntity[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(CampaignEntity).findBy({ id: In(valid), projectId });
  }
}
