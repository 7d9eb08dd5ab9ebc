import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { generateApiKey, hashApiKey, keyKindOf, type KeyKind } from '@boomerang/platform/auth';
import type { ResolveApiKeyReply } from '@boomerang/contracts';
import { WorkspaceError, WorkspaceErrorCode } from '../projects/project.errors.js';
import { ApiKeyEntity } from './api-key.entity.js';

export interface IssuedKey {
  apiKey: ApiKeyEntity;
  key: string;
}

@Injectable()
export class ApiKeyService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async issue(manager: EntityManager, projectId: string, kind: KeyKind, name: string): Promise<IssuedKey> {
    const { key, hash, hint } = generateApiKey(kind);
    const apiKey = manager.create(ApiKeyEntity, { id: randomUUID(), projectId, kind, name, keyHash: hash, hint, revokedAt: null });
    await manager.insert(ApiKeyEntity, apiKey);
    return { apiKey: await manager.findOneByOrFail(ApiKeyEntity, { id: apiKey.id, projectId }), key };
  }

  create(projectId: string, kind: KeyKind, name: string): Promise<IssuedKey> {
    return this.dataSource.transaction((manager) => this.issue(manager, projectId, kind, name));
  }

  list(projectId: string): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({ where: { projectId }, order: { createdAt: 'ASC' } });
  }

  async revoke(projectId: string, keyId: string): Promise<ApiKeyEntity> {
    return this.dataSource.transaction(async (manager) => {
      const key = await this.findActive(manager, projectId, keyId);
      key.revokedAt = new Date();
      await manager.update(ApiKeyEntity, { id: key.id, projectId }, { revokedAt: key.revokedAt });
      return key;
    });
  }

  /** Issues a replacement of the same kind and name and revokes the old key, atomically. */
  async rotate(projectId: string, keyId: string): Promise<IssuedKey> {
    return this.dataSource.transaction(async (manager) => {
      const old = await this.findActive(manager, projectId, keyId);
      await manager.update(ApiKeyEntity, { id: old.id, projectId }, { revokedAt: new Date() });
      return this.issue(manager, projectId, old.kind, old.name);
    });
  }

  /** Answers the gateway: which project and scope a presented key stands for. */
  async resolve(key: string): Promise<ResolveApiKeyReply> {
    if (!keyKindOf(key)) return { ok: false, reason: 'malformed' };
    const found = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ keyHash: hashApiKey(key) });
    if (!found) return { ok: false, reason: 'unknown' };
    if (found.revokedAt) return { ok: false, reason: 'revoked' };
    return { ok: true, projectId: found.projectId, keyId: found.id, scope: found.kind };
  }

  private async findActive(manager: EntityManager, projectId: string, keyId: string): Promise<ApiKeyEntity> {
    const key = await manager.findOne(ApiKeyEntity, { where: { id: keyId, projectId }, lock: { mode: 'pessimistic_write' } });
    if (!key) throw new WorkspaceError(WorkspaceErrorCode.ApiKeyNotFound, `No API key ${keyId} in this project`, 'id');
    if (key.revokedAt) throw new WorkspaceError(WorkspaceErrorCode.ApiKeyAlreadyRevoked, `API key ${keyId} is already revoked`, 'id');
    return key;
  }

  countActive(projectId: string): Promise<number> {
    return this.dataSource.getRepository(ApiKeyEntity).countBy({ projectId, revokedAt: IsNull() });
  }
}
