import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isEmail } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, type Page } from '@boomerang/platform/subgraph';
import { normalizeAddress } from '../sending/send-eligibility.js';
import type { SuppressionReason } from './suppression.entity.js';
import { SuppressionError, SuppressionErrorCode } from './suppression.errors.js';

export interface SuppressionRow {
  /** The address (the cursor's tie-breaker). */
  id: string;
  address: string;
  reason: SuppressionReason;
  detail: string | null;
  createdAt: Date;
}

/** The email_suppression table. */
@Injectable()
export class Suppressions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async isSuppressed(projectId: string, address: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = (await manager.query(`SELECT 1 FROM email_suppression WHERE project_id = $1 AND address = $2`, [projectId, normalizeAddress(address)])) as unknown[];
    return rows.length > 0;
  }

  /** The suppressed addresses among `addresses` (normalized), in one query. */
  async suppressedAmong(projectId: string, addresses: readonly string[]): Promise<Set<string>> {
    if (addresses.length === 0) return new Set();
    const rows = (await this.dataSource.query(`SELECT address FROM email_suppression WHERE project_id = $1 AND address = ANY($2::text[])`, [
      projectId,
      [...new Set(addresses.map(normalizeAddress))],
    ])) as { address: string }[];
    return new Set(rows.map((row) => row.address));
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

  /** The project's list, newest first (keyset on created_at, address). */
  async list(projectId: string, first: number, after: string | null | undefined): Promise<Page<SuppressionRow>> {
    const cursor = after ? decodeCursor(after) : null;
    const rows = (await this.dataSource.query(
      `SELECT address AS id, address, reason, detail, created_at AS "createdAt" FROM email_suppression
       WHERE project_id = $1 AND ($2::timestamptz IS NULL OR (created_at, address) < ($2, $3))
       ORDER BY created_at DESC, address DESC LIMIT $4`,
      [projectId, cursor?.at ?? null, cursor?.id ?? null, first + 1],
    )) as SuppressionRow[];
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Suppresses an address by hand (`manual`); an address already on the list keeps its reason. Returns its entry. */
  async suppress(projectId: string, address: string, note: string | null): Promise<SuppressionRow> {
    const normalized = validAddress(address);
    await this.add(this.dataSource.manager, projectId, normalized, 'manual', note);
    const [row] = (await this.dataSource.query(
      `SELECT address AS id, address, reason, detail, created_at AS "createdAt" FROM email_suppression WHERE project_id = $1 AND address = $2`,
      [projectId, normalized],
    )) as SuppressionRow[];
    return row!;
  }

  /** Takes the address off the list, whatever put it there; false when it was not on it. Consent is profiles' and stays as it is. */
  async unsuppress(projectId: string, address: string): Promise<boolean> {
    const [, removed] = (await this.dataSource.query(`DELETE FROM email_suppression WHERE project_id = $1 AND address = $2`, [projectId, validAddress(address)])) as [
      unknown,
      number,
    ];
    return removed > 0;
  }
}

function validAddress(address: string): string {
  const normalized = normalizeAddress(address);
  if (!isEmail(normalized)) throw new SuppressionError(SuppressionErrorCode.InvalidAddress, 'Invalid value for address: must be an email address', 'address');
  return normalized;
}
