import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { normalizeAddress } from '../sending/send-eligibility.js';
import type { SuppressionReason } from './suppression.entity.js';

/** The email_suppression table. */
@Injectable()
export class Suppressions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async isSuppressed(projectId: string, address: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = (await manager.query(`SELECT 1 FROM email_suppression WHERE project_id = $1 AND address = $2`, [projectId, normalizeAddress(address)])) as unknown[];
    return rows.length > 0;
  }

  /** Adds the address (the first reason stays). */
  async add(manager: EntityManager, projectId: string, address: string, reason: SuppressionReason, detail: string | null = null): Promise<void> {
    await manager.query(`INSERT INTO email_suppression (project_id, address, reason, detail) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
      projectId,
      normalizeAddress(address),
      reason,
      detail,
    ]);
  }
}
