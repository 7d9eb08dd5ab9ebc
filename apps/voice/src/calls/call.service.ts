import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource, In } from 'typeorm';
import { CallPlaced } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { CallStateChangeEntity } from './call-state-change.entity.js';
import { CallEntity } from './call.entity.js';
import { CallError, CallErrorCode } from './call.errors.js';
import { CallState } from './call.model.js';
import type { PlaceCallInput } from './dto/place-call.input.js';

@Injectable()
export class CallService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Records a PLACED call with the first entry of its timeline, and announces it. */
  place(projectId: string, input: PlaceCallInput): Promise<CallEntity> {
    if (input.callerProfileId === input.calleeProfileId) {
      throw new CallError(CallErrorCode.CallerIsCallee, 'Invalid value for input.calleeProfileId: a profile cannot call itself', 'input.calleeProfileId');
    }
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      // placed_at and the timeline's first `at` both default to now(): the transaction's start.
      await manager.insert(CallEntity, {
        id,
        projectId,
        callerProfileId: input.callerProfileId,
        calleeProfileId: input.calleeProfileId,
        reason: input.reason,
        reference: input.reference ?? null,
        state: CallState.PLACED,
        placedAt: () => 'now()',
      });
      await manager.insert(CallStateChangeEntity, { id: randomUUID(), projectId, callId: id, state: CallState.PLACED, at: () => 'now()' });
      const call = await manager.findOneByOrFail(CallEntity, { id, projectId });
      await this.outbox.enqueue(manager, CallPlaced, {
        projectId,
        occurredAt: call.placedAt.toISOString(),
        callId: id,
        callerProfileId: call.callerProfileId,
        calleeProfileId: call.calleeProfileId,
      });
      return call;
    });
  }

  async get(projectId: string, id: string): Promise<CallEntity> {
    const call = isUUID(id) ? await this.dataSource.getRepository(CallEntity).findOneBy({ id, projectId }) : null;
    if (!call) throw new CallError(CallErrorCode.CallNotFound, `No call ${id} in this project`, 'id');
    return call;
  }

  /** The project's calls, newest first; with a profile, only calls it made or received. */
  list(projectId: string, profileId?: string | null): Promise<CallEntity[]> {
    if (profileId == null) {
      return this.dataSource.getRepository(CallEntity).find({ where: { projectId }, order: { placedAt: 'DESC', id: 'ASC' } });
    }
    if (!isUUID(profileId)) {
      throw new CallError(CallErrorCode.InvalidProfileId, 'Invalid value for profileId: profileId must be a UUID', 'profileId');
    }
    return this.dataSource.getRepository(CallEntity).find({
      where: [
        { projectId, callerProfileId: profileId },
        { projectId, calleeProfileId: profileId },
      ],
      order: { placedAt: 'DESC', id: 'ASC' },
    });
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<CallEntity[]> {
    const valid = ids.filter((id) => isUUID(id));
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(CallEntity).findBy({ id: In(valid), projectId });
  }

  /** The timelines of several calls in one query, oldest change first. */
  timelines(projectId: string, callIds: readonly string[]): Promise<CallStateChangeEntity[]> {
    return this.dataSource.getRepository(CallStateChangeEntity).find({
      where: { projectId, callId: In([...callIds]) },
      order: { at: 'ASC', id: 'ASC' },
    });
  }
}
