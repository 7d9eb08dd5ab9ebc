import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { SegmentCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { isUuid, KnownProfiles } from '@boomerang/platform/subgraph';
import type { CreateSegmentInput } from './dto/create-segment.input.js';
import { SegmentEntity, segmentFromRow, type SegmentRow } from './segment.entity.js';
import { SegmentError, SegmentErrorCode } from './segment.errors.js';
import { SegmentKind } from './segment.model.js';

const uuids = (ids: readonly string[]): string[] => [...new Set(ids)].filter(isUuid);

@Injectable()
export class SegmentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly knownProfiles: KnownProfiles,
  ) {}

  create(projectId: string, input: CreateSegmentInput): Promise<SegmentEntity> {
    if (input.kind === SegmentKind.STATIC && input.rules != null) {
      throw new SegmentError(SegmentErrorCode.RulesOnlyForDynamic, 'Invalid value for input.rules: STATIC segments have members, not rules', 'input.rules');
    }
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      const values = { id, projectId, name: input.name, description: input.description ?? null, kind: input.kind, rules: input.rules ?? null };
      // TypeORM's deep-partial type cannot express free-form jsonb; the values are complete.
      await manager.insert(SegmentEntity, values as never);
      const segment = await manager.findOneByOrFail(SegmentEntity, { id, projectId });
      await this.outbox.enqueue(manager, SegmentCreated, { projectId, occurredAt: segment.createdAt.toISOString(), segmentId: id, name: segment.name });
      return segment;
    });
  }

  /** Adds known profiles to a STATIC segment, all or none; profiles already in it stay as they were. */
  addMembers(projectId: string, segmentId: string, profileIds: readonly string[]): Promise<SegmentEntity> {
    return this.dataSource.transaction(async (manager) => {
      const segment = await this.findStatic(manager, projectId, segmentId);
      const given = profileIds.map((profileId, index) => ({ profileId, field: `profileIds[${index}]` })).filter(({ profileId }) => isUuid(profileId));
      await this.knownProfiles.require(projectId, given, manager);
      await manager.query(
        `INSERT INTO segment_membership (project_id, segment_id, profile_id)
         SELECT $1, $2, unnest($3::uuid[])
         ON CONFLICT (segment_id, profile_id) DO NOTHING`,
        [projectId, segment.id, uuids(profileIds)],
      );
      return segment;
    });
  }

  removeMembers(projectId: string, segmentId: string, profileIds: readonly string[]): Promise<SegmentEntity> {
    return this.dataSource.transaction(async (manager) => {
      const segment = await this.findStatic(manager, projectId, segmentId);
      await manager.query(`DELETE FROM segment_membership WHERE project_id = $1 AND segment_id = $2 AND profile_id = ANY($3::uuid[])`, [
        projectId,
        segment.id,
        uuids(profileIds),
      ]);
      return segment;
    });
  }

  async get(projectId: string, id: string): Promise<SegmentEntity> {
    const segment = isUuid(id) ? await this.dataSource.getRepository(SegmentEntity).findOneBy({ id, projectId }) : null;
    if (!segment) throw new SegmentError(SegmentErrorCode.SegmentNotFound, `No segment ${id} in this project`, 'id');
    return segment;
  }

  list(projectId: string): Promise<SegmentEntity[]> {
    return this.dataSource.getRepository(SegmentEntity).find({ where: { projectId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<SegmentEntity[]> {
    const valid = uuids(ids);
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(SegmentEntity).findBy({ id: In(valid), projectId });
  }

  /** Member counts of many segments in one query, in the order of `segmentIds`. */
  async sizes(projectId: string, segmentIds: readonly string[]): Promise<number[]> {
    const rows = (await this.dataSource.query(
      `SELECT segment_id, count(*)::int AS size FROM segment_membership
       WHERE project_id = $1 AND segment_id = ANY($2::uuid[]) GROUP BY segment_id`,
      [projectId, uuids(segmentIds)],
    )) as { segment_id: string; size: number }[];
    const sizes = new Map(rows.map((row) => [row.segment_id, row.size]));
    return segmentIds.map((id) => sizes.get(id) ?? 0);
  }

  /** One page of member profile ids (ordered by id) for each of many segments, in one query. */
  async membersOfSegments(projectId: string, segmentIds: readonly string[], first: number, after: string | null): Promise<string[][]> {
    const rows = (await this.dataSource.query(
      `SELECT page.segment_id, page.profile_id FROM unnest($2::uuid[]) AS segment(id)
       CROSS JOIN LATERAL (
         SELECT segment_id, profile_id FROM segment_membership
         WHERE project_id = $1 AND segment_id = segment.id AND ($3::uuid IS NULL OR profile_id > $3::uuid)
         ORDER BY profile_id LIMIT $4
       ) page`,
      [projectId, uuids(segmentIds), after, first],
    )) as { segment_id: string; profile_id: string }[];
    const groups = new Map<string, string[]>();
    for (const row of rows) groups.set(row.segment_id, [...(groups.get(row.segment_id) ?? []), row.profile_id]);
    return segmentIds.map((id) => groups.get(id) ?? []);
  }

  /** The segments each of many profiles belongs to, in one query, in the order of `profileIds`. */
  async segmentsOfProfiles(projectId: string, profileIds: readonly string[]): Promise<SegmentEntity[][]> {
    const rows = (await this.dataSource.query(
      `SELECT membership.profile_id, segment.* FROM segment_membership membership
       JOIN segment ON segment.project_id = membership.project_id AND segment.id = membership.segment_id
       WHERE membership.project_id = $1 AND membership.profile_id = ANY($2::uuid[])
       ORDER BY segment.created_at, segment.id`,
      [projectId, uuids(profileIds)],
    )) as (SegmentRow & { profile_id: string })[];
    const groups = new Map<string, SegmentEntity[]>();
    for (const row of rows) groups.set(row.profile_id, [...(groups.get(row.profile_id) ?? []), segmentFromRow(row)]);
    return profileIds.map((id) => groups.get(id) ?? []);
  }

  /** GDPR export: the profile's memberships, oldest first, with their segment's name and kind. */
  async membershipsOf(projectId: string, profileId: string): Promise<{ segmentId: string; name: string; kind: string; addedAt: string }[]> {
    if (!isUuid(profileId)) return [];
    const rows = (await this.dataSource.query(
      `SELECT segment.id, segment.name, segment.kind, membership.added_at FROM segment_membership membership
       JOIN segment ON segment.project_id = membership.project_id AND segment.id = membership.segment_id
       WHERE membership.project_id = $1 AND membership.profile_id = $2
       ORDER BY membership.added_at, segment.id`,
      [projectId, profileId],
    )) as { id: string; name: string; kind: string; added_at: Date }[];
    return rows.map((row) => ({ segmentId: row.id, name: row.name, kind: row.kind.toUpperCase(), addedAt: new Date(row.added_at).toISOString() }));
  }

  private async findStatic(manager: EntityManager, projectId: string, segmentId: string): Promise<SegmentEntity> {
    // A share lock keeps the segment from being deleted while members are written.
    const segment = await manager.findOne(SegmentEntity, { where: { id: segmentId, projectId }, lock: { mode: 'pessimistic_read' } });
    if (!segment) throw new SegmentError(SegmentErrorCode.SegmentNotFound, `No segment ${segmentId} in this project`, 'segmentId');
    if (segment.kind !== SegmentKind.STATIC) {
      throw new SegmentError(SegmentErrorCode.MembersOnlyForStatic, 'Invalid value for segmentId: members are added only to STATIC segments', 'segmentId');
    }
    return segment;
  }
}
