import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { ProjectCreated, type IngestPolicyReply } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { ApiKeyService, type IssuedKey } from '../api-keys/api-key.service.js';
import { ProjectEntity } from './project.entity.js';
import { WorkspaceError, WorkspaceErrorCode } from './project.errors.js';

export interface CreatedProjectResult {
  project: ProjectEntity;
  publishableKey: IssuedKey;
  secretKey: IssuedKey;
}

@Injectable()
export class ProjectService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeyService,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Creates a project with its first publishable and secret keys, and announces it. */
  create(name: string, timeZone = 'UTC'): Promise<CreatedProjectResult> {
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      await manager.insert(ProjectEntity, { id, projectId: id, name, timeZone });
      const project = await manager.findOneByOrFail(ProjectEntity, { id });
      const publishableKey = await this.apiKeys.issue(manager, id, 'publishable', 'Default publishable key');
      const secretKey = await this.apiKeys.issue(manager, id, 'secret', 'Default secret key');
      await this.outbox.enqueue(manager, ProjectCreated, { projectId: id, occurredAt: project.createdAt.toISOString(), name });
      return { project, publishableKey, secretKey };
    });
  }

  async get(projectId: string): Promise<ProjectEntity> {
    const project = await this.dataSource.getRepository(ProjectEntity).findOneBy({ id: projectId, projectId });
    if (!project) throw new WorkspaceError(WorkspaceErrorCode.ProjectNotFound, `Project ${projectId} does not exist`);
    return project;
  }

  async update(projectId: string, changes: { name?: string; timeZone?: string; requireUserVerification?: boolean }): Promise<ProjectEntity> {
    const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined && value !== null));
    if (Object.keys(set).length > 0) await this.dataSource.getRepository(ProjectEntity).update({ id: projectId, projectId }, set);
    return this.get(projectId);
  }

  /** What ingestion needs to know of a project (GetIngestPolicy). */
  async ingestPolicy(projectId: string): Promise<IngestPolicyReply> {
    const project = await this.dataSource.getRepository(ProjectEntity).findOneBy({ id: projectId, projectId });
    if (!project) return { ok: false, reason: 'unknown' };
    return { ok: true, requireUserVerification: project.requireUserVerification };
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<ProjectEntity[]> {
    return this.dataSource.getRepository(ProjectEntity).findBy({ id: In([...ids]), projectId });
  }
}
