import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type QueryDeepPartialEntity } from 'typeorm';
import { JourneyCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { isUuid } from '@boomerang/platform/subgraph';
import type { CreateJourneyInput } from './dto/create-journey.input.js';
import { checkJourneyGraph } from './journey-graph.js';
import { JourneyEntity } from './journey.entity.js';
import { JourneyError, JourneyErrorCode } from './journey.errors.js';
import { JourneyStatus } from './journey.model.js';

@Injectable()
export class JourneyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Checks the graph, stores the journey as DRAFT version 1 and announces it. */
  create(projectId: string, input: CreateJourneyInput): Promise<JourneyEntity> {
    const checked = checkJourneyGraph(input.graph);
    if ('violation' in checked) {
      const field = `input.graph.${checked.violation.path}`;
      throw new JourneyError(JourneyErrorCode.InvalidGraph, `Invalid value for ${field}: ${checked.violation.message}`, field);
    }
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      // TypeORM's partial-entity type cannot express open JSON objects (node configs).
      const graph = checked.graph as QueryDeepPartialEntity<JourneyEntity['graph']>;
      await manager.insert(JourneyEntity, { id, projectId, name: input.name, status: JourneyStatus.DRAFT, version: 1, graph });
      const journey = await manager.findOneByOrFail(JourneyEntity, { id, projectId });
      await this.outbox.enqueue(manager, JourneyCreated, {
        projectId,
        occurredAt: journey.createdAt.toISOString(),
        journeyId: id,
        name: journey.name,
      });
      return journey;
    });
  }

  async get(projectId: string, id: string): Promise<JourneyEntity> {
    const journey = isUuid(id) ? await this.dataSource.getRepository(JourneyEntity).findOneBy({ id, projectId }) : null;
    if (!journey) throw new JourneyError(JourneyErrorCode.JourneyNotFound, `No journey ${id} in this project`, 'id');
    return journey;
  }

  list(projectId: string): Promise<JourneyEntity[]> {
    return this.dataSource.getRepository(JourneyEntity).find({ where: { projectId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<JourneyEntity[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(JourneyEntity).findBy({ id: In(valid), projectId });
  }
}
