import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, type EntityManager } from 'typeorm';
import { SegmentCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { isUuid, KnownProfiles } from '@boomerang/platform/subgraph';
import { leavesOf, referencedSegments, validateRule, type Rule } from '@boomerang/audience';
import { Clock } from '@boomerang/platform/subgraph';
import { LeafCatalog } from '../audience/leaf-catalog.js';
import { MembershipChanges } from '../audience/membership-changes.js';
import { SegmentComputation } from '../audience/segment-computation.js';
import type { CreateSegmentInput, UpdateSegmentInput } from './dto/create-segment.input.js';
import { plainRule, ruleForApi } from './dto/segment-rule.input.js';
import { SegmentEntity, segmentFromRow, type SegmentRow } from './segment.entity.js';
import { SegmentError, SegmentErrorCode } from './segment.errors.js';
import { SegmentKind } from './segment.model.js';
import { newSegmentId, StaticSegments } from './static-segments.js';

const uuids = (ids: readonly string[]): string[] => [...new Set(ids)].filter(isUuid);

@Injectable()
export class SegmentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly knownProfiles: KnownProfiles,
    private readonly catalog: LeafCatalog,
    private readonly computation: SegmentComputation,
    private readonly memberships: MembershipChanges,
    private readonly clock: Clock,
    private readonly statics: StaticSegments,
  ) {}

  async create(projectId: string, input: CreateSegmentInput): Promise<SegmentEntity> {
    if (input.kind === SegmentKind.STATIC && input.rules != null) {
      throw new SegmentError(SegmentErrorCode.RulesOnlyForDynamic, 'Invalid value for input.rules: STATIC segments have members, not rules', 'input.rules');
    }
    if (input.kind === SegmentKind.STATIC) {
      const segment = await this.dataSource.transaction((manager) =>
        this.statics.create(manager, projectId, { name: input.name, description: input.description ?? null }, this.clock.now()),
      );
      return this.get(projectId, segment.id);
    }
    const rule = this.validRules(input.rules, 'input.rules');
    const id = newSegmentId();
    // events' scan of the new leaves runs while the segment is saved.
    const ahead = await this.computation.scanAhead(projectId, rule);
    await this.dataSource.transaction(async (manager) => {
      await this.checkReferences(manager, projectId, id, rule);
      const values = {
        id,
        projectId,
        name: input.name,
        description: input.description ?? null,
        kind: input.kind,
        rules: rule,
        version: 1,
        status: 'computing',
        updatedAt: this.clock.now(),
      };
      // TypeORM's deep-partial type cannot express free-form jsonb; the values are complete.
      await manager.insert(SegmentEntity, values as never);
      await this.saveVersion(manager, projectId, id, 1, rule);
      const segment = await manager.findOneByOrFail(SegmentEntity, { id, projectId });
      await this.outbox.enqueue(manager, SegmentCreated, { projectId, occurredAt: segment.createdAt.toISOString(), segmentId: id, name: segment.name });
    });
    const written = await this.computation.compute(projectId, id, ahead);
    const segment = await this.get(projectId, id);
    if (written !== null && segment.status === 'ready') segment.writtenSize = written;
    return segment;
  }

  /** Renames, describes, or saves new rules as the next version (computed over all history; members that no longer qualify exit). */
  async update(projectId: string, id: string, input: UpdateSegmentInput): Promise<SegmentEntity> {
    const rule = input.rules != null ? this.validRules(input.rules, 'input.rules') : null;
    await this.dataSource.transaction(async (manager) => {
      const segment = await manager.findOne(SegmentEntity, { where: { id, projectId }, lock: { mode: 'pessimistic_write' } });
      if (!segment) throw new SegmentError(SegmentErrorCode.SegmentNotFound, `No segment ${id} in this project`, 'id');
      if (segment.archivedAt) throw new SegmentError(SegmentErrorCode.SegmentArchived, `Segment ${id} is archived`, 'id');
      if (input.rules != null) await this.statics.refuseManaged(manager, projectId, id, 'new rules', 'input.rules');
      // The family's names are its class names, which RFM reports and consoles show.
      if (input.name != null && input.name !== segment.name) await this.statics.refuseManaged(manager, projectId, id, 'renaming', 'input.name');
      if (rule && segment.kind !== 'dynamic')
        throw new SegmentError(SegmentErrorCode.RulesOnlyForDynamic, 'Invalid value for input.rules: STATIC segments have members, not rules', 'input.rules');
      const changes: Partial<SegmentEntity> = { updatedAt: this.clock.now() };
      if (input.name != null) changes.name = input.name;
      if (input.description !== undefined) changes.description = input.description;
      if (rule) {
        await this.checkReferences(manager, projectId, id, rule);
        Object.assign(changes, { rules: rule, version: segment.version + 1, status: 'computing', failure: null });
        await this.saveVersion(manager, projectId, id, segment.version + 1, rule);
      }
      await manager.update(SegmentEntity, { id, projectId }, changes as never);
    });
    if (rule) await this.computation.compute(projectId, id);
    return this.get(projectId, id);
  }

  /** Stops a segment: it is evaluated no more and its members exit (published); refused while another segment's rules name it. */
  async archive(projectId: string, id: string): Promise<SegmentEntity> {
    await this.dataSource.transaction(async (manager) => {
      const segment = await manager.findOne(SegmentEntity, { where: { id, projectId }, lock: { mode: 'pessimistic_write' } });
      if (!segment) throw new SegmentError(SegmentErrorCode.SegmentNotFound, `No segment ${id} in this project`, 'id');
      if (segment.archivedAt) return;
      await this.statics.refuseManaged(manager, projectId, id, 'archiving', 'id');
      const users = (await manager.query(
        `SELECT s.id, s.name FROM segment s JOIN segment_version v ON v.segment_id = s.id AND v.version = s.version
         WHERE s.project_id = $1 AND s.archived_at IS NULL AND s.id <> $2 AND v.rules::text LIKE '%' || $2 || '%'`,
        [projectId, id],
      )) as { id: string; name: string }[];
      const naming = users.filter((user) => user.id !== id);
      if (naming.length)
        throw new SegmentError(SegmentErrorCode.SegmentInUse, `Segment ${id} is named by the rules of ${naming.map((user) => `"${user.name}" (${user.id})`).join(', ')}; change those first`, 'id');
      const now = this.clock.now();
      await manager.update(SegmentEntity, { id, projectId }, { archivedAt: now, updatedAt: now });
      const members = (await manager.query(`SELECT profile_id FROM segment_membership WHERE project_id = $1 AND segment_id = $2`, [projectId, id])) as { profile_id: string }[];
      await this.memberships.apply(
        manager,
        projectId,
        members.map((row) => ({ segmentId: id, version: segment.version, profileId: row.profile_id, change: 'exited', cause: 'archive', eventId: null })),
        now,
      );
    });
    return this.get(projectId, id);
  }

  /** How many profiles `rules` would hold now, without saving a segment. */
  async estimate(projectId: string, rules: unknown): Promise<{ size: number; projectId: string }> {
    const rule = this.validRules(rules, 'rules');
    await this.checkReferences(this.dataSource.manager, projectId, null, rule);
    return { size: await this.computation.estimate(projectId, rule), projectId };
  }

  /** The project's profiles (what an estimate's size is out of). */
  async totalProfiles(projectId: string): Promise<number> {
    const [total] = (await this.dataSource.query(`SELECT count(*)::int AS n FROM known_profile WHERE project_id = $1 AND forgotten_at IS NULL`, [projectId])) as { n: number }[];
    return total!.n;
  }

  async versions(projectId: string, id: string): Promise<{ version: number; rules: unknown; createdAt: Date }[]> {
    const rows = (await this.dataSource.query(`SELECT version, rules, created_at FROM segment_version WHERE project_id = $1 AND segment_id = $2 ORDER BY version`, [
      projectId,
      id,
    ])) as { version: number; rules: unknown; created_at: Date }[];
    return rows.map((row) => ({ version: row.version, rules: ruleForApi(row.rules), createdAt: row.created_at }));
  }

  /** Size at the end of each of the last `days` days (UTC), from the day's entries and exits. */
  async history(projectId: string, id: string, days: number): Promise<{ day: string; size: number; entered: number; exited: number }[]> {
    const rows = (await this.dataSource.query(
      `WITH days AS (
         SELECT d::date AS day FROM generate_series(($3::timestamptz AT TIME ZONE 'UTC')::date - ($4::int - 1), ($3::timestamptz AT TIME ZONE 'UTC')::date, interval '1 day') d
       ), before AS (
         SELECT coalesce(sum(entered - exited), 0)::int AS size FROM segment_size_change
         WHERE project_id = $1 AND segment_id = $2 AND day < (SELECT min(day) FROM days)
       )
       SELECT to_char(days.day, 'YYYY-MM-DD') AS day, coalesce(c.entered, 0)::int AS entered, coalesce(c.exited, 0)::int AS exited,
              ((SELECT size FROM before) + sum(coalesce(c.entered, 0) - coalesce(c.exited, 0)) OVER (ORDER BY days.day))::int AS size
       FROM days LEFT JOIN segment_size_change c ON c.project_id = $1 AND c.segment_id = $2 AND c.day = days.day
       ORDER BY days.day`,
      [projectId, id, this.clock.now(), days],
    )) as { day: string; size: number; entered: number; exited: number }[];
    return rows;
  }

  private validRules(input: unknown, root: string): Rule {
    if (input == null) throw new SegmentError(SegmentErrorCode.RulesRequired, `Invalid value for ${root}: DYNAMIC segments need rules`, root);
    const validation = validateRule(plainRule(input), root);
    if (!validation.ok) {
      const [first] = validation.issues;
      const more = validation.issues.length > 1 ? ` (and ${validation.issues.length - 1} more: ${validation.issues.slice(1, 4).map((issue) => `${issue.path}: ${issue.message}`).join('; ')})` : '';
      throw new SegmentError(SegmentErrorCode.InvalidRules, `Invalid value for ${first!.path}: ${first!.message}${more}`, first!.path);
    }
    return validation.rule;
  }

  /** Segments the rules name must be live segments of the project, and naming must not lead back to `selfId`. */
  private async checkReferences(manager: EntityManager, projectId: string, selfId: string | null, rule: Rule): Promise<void> {
    const named = referencedSegments(rule);
    if (named.length === 0) return;
    if (selfId && named.includes(selfId)) throw new SegmentError(SegmentErrorCode.SegmentCycle, `Invalid rules: a segment cannot name itself (${selfId})`, 'input.rules');
    const rows = (await manager.query(`SELECT id, version FROM segment WHERE project_id = $1 AND id = ANY($2::uuid[]) AND archived_at IS NULL`, [projectId, named])) as {
      id: string;
    }[];
    const found = new Set(rows.map((row) => row.id));
    const missing = named.find((id) => !found.has(id));
    if (missing) throw new SegmentError(SegmentErrorCode.ReferencedSegmentNotFound, `Invalid rules: no live segment ${missing} in this project`, 'rules');
    if (!selfId) return;
    // Follow what the named segments name, and so on: reaching this segment again is a cycle.
    const seen = new Set<string>(named);
    let frontier = named;
    while (frontier.length) {
      const next = (await manager.query(
        `SELECT s.id, v.rules FROM segment s JOIN segment_version v ON v.segment_id = s.id AND v.version = s.version WHERE s.project_id = $1 AND s.id = ANY($2::uuid[])`,
        [projectId, frontier],
      )) as { id: string; rules: Rule }[];
      frontier = [];
      for (const row of next)
        for (const id of referencedSegments(row.rules)) {
          if (id === selfId) throw new SegmentError(SegmentErrorCode.SegmentCycle, `Invalid rules: segment ${row.id} already names this segment (directly or through others), which would make a cycle`, 'input.rules');
          if (!seen.has(id)) {
            seen.add(id);
            frontier.push(id);
          }
        }
    }
  }

  private async saveVersion(manager: EntityManager, projectId: string, segmentId: string, version: number, rule: Rule): Promise<void> {
    await manager.query(`INSERT INTO segment_version (project_id, segment_id, version, rules) VALUES ($1, $2, $3, $4)`, [projectId, segmentId, version, JSON.stringify(rule)]);
    const leaves = await this.catalog.ensure(manager, projectId, leavesOf(rule), this.clock.now().getTime());
    await manager.query(`INSERT INTO segment_leaf (project_id, segment_id, version, leaf_id) SELECT $1, $2, $3, unnest($4::uuid[])`, [
      projectId,
      segmentId,
      version,
      leaves.map((leaf) => leaf.id),
    ]);
  }

  /** Adds known profiles to a STATIC segment, all or none; profiles already in it stay as they were. Entries are published (cause `import`). */
  addMembers(projectId: string, segmentId: string, profileIds: readonly string[]): Promise<SegmentEntity> {
    return this.dataSource.transaction(async (manager) => {
      const segment = await this.lockStatic(manager, projectId, segmentId, 'adding members');
      const given = profileIds.map((profileId, index) => ({ profileId, field: `profileIds[${index}]` })).filter(({ profileId }) => isUuid(profileId));
      await this.knownProfiles.require(projectId, given, manager);
      await this.statics.addMembers(manager, projectId, segment, uuids(profileIds), 'import', this.clock.now());
      return segment;
    });
  }

  /** Removes members of a STATIC segment; ids that are not members are ignored. Exits are published (cause `import`). */
  removeMembers(projectId: string, segmentId: string, profileIds: readonly string[]): Promise<SegmentEntity> {
    return this.dataSource.transaction(async (manager) => {
      const segment = await this.lockStatic(manager, projectId, segmentId, 'removing members');
      await this.statics.removeMembers(manager, projectId, segment, uuids(profileIds), 'import', this.clock.now());
      return segment;
    });
  }

  async get(projectId: string, id: string): Promise<SegmentEntity> {
    const segment = isUuid(id) ? await this.dataSource.getRepository(SegmentEntity).findOneBy({ id, projectId }) : null;
    if (!segment) throw new SegmentError(SegmentErrorCode.SegmentNotFound, `No segment ${id} in this project`, 'id');
    return segment;
  }

  list(projectId: string, includeArchived = false): Promise<SegmentEntity[]> {
    return this.dataSource
      .getRepository(SegmentEntity)
      .find({ where: { projectId, ...(includeArchived ? {} : { archivedAt: IsNull() }) }, order: { createdAt: 'ASC', id: 'ASC' } });
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

  /**
   * The segments each of many profiles belongs to, in one query, in the order of `profileIds`. A
   * profile's memberships are read through the project's segments (a primary-key probe each):
   * `segment_membership` has no index by profile, which would cost every new segment's write.
   */
  async segmentsOfProfiles(projectId: string, profileIds: readonly string[]): Promise<SegmentEntity[][]> {
    const rows = (await this.dataSource.query(
      `SELECT membership.profile_id, segment.* FROM segment
       JOIN segment_membership membership ON membership.segment_id = segment.id AND membership.profile_id = ANY($2::uuid[])
       WHERE segment.project_id = $1
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
      `SELECT segment.id, segment.name, segment.kind, membership.added_at FROM segment
       JOIN segment_membership membership ON membership.segment_id = segment.id AND membership.profile_id = $2
       WHERE segment.project_id = $1
       ORDER BY membership.added_at, segment.id`,
      [projectId, profileId],
    )) as { id: string; name: string; kind: string; added_at: Date }[];
    return rows.map((row) => ({ segmentId: row.id, name: row.name, kind: row.kind.toUpperCase(), addedAt: new Date(row.added_at).toISOString() }));
  }

  /** The STATIC segment, locked for its members' writes (concurrent writers wait, so each sees the other's rows). */
  private async lockStatic(manager: EntityManager, projectId: string, segmentId: string, what: string): Promise<SegmentEntity> {
    const segment = isUuid(segmentId) ? await manager.findOne(SegmentEntity, { where: { id: segmentId, projectId }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!segment) throw new SegmentError(SegmentErrorCode.SegmentNotFound, `No segment ${segmentId} in this project`, 'segmentId');
    if (segment.kind !== SegmentKind.STATIC) {
      throw new SegmentError(SegmentErrorCode.MembersOnlyForStatic, 'Invalid value for segmentId: members are added only to STATIC segments', 'segmentId');
    }
    if (segment.archivedAt) throw new SegmentError(SegmentErrorCode.SegmentArchived, `Segment ${segmentId} is archived`, 'segmentId');
    await this.statics.refuseManaged(manager, projectId, segment.id, what, 'segmentId');
    return segment;
  }
}
