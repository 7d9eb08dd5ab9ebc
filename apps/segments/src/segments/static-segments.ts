import { Injectable } from '@nestjs/common';
import { v7 as timeOrderedUuid } from 'uuid';
import type { EntityManager } from 'typeorm';
import { SegmentCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { MembershipChanges, type MembershipCause } from '../audience/membership-changes.js';
import { segmentFromRow, type SegmentEntity, type SegmentRow } from './segment.entity.js';
import { SegmentError, SegmentErrorCode } from './segment.errors.js';

/**
 * A new segment's id: time-ordered (UUIDv7), so its members' primary-key entries (segment, profile)
 * are appended after every older segment's rather than split into the middle of them (an INSERT of
 * 23k members into a copy at load ~4: median ~86 ms appended, ~127 ms in the middle).
 */
export function newSegmentId(): string {
  return timeOrderedUuid();
}

/**
 * STATIC segments' rows and hand-written members, for the API (createSegment, addSegmentMembers,
 * removeSegmentMembers), imports and the RFM family alike: a new segment is announced with
 * `SegmentCreated`; members are written through MembershipChanges, so only profiles that actually
 * enter or exit are counted and published. Everything runs in the caller's transaction, which must
 * hold the segment row `FOR UPDATE` while members are written (concurrent writers then see each
 * other's rows, so no transition is published twice).
 */
@Injectable()
export class StaticSegments {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly memberships: MembershipChanges,
  ) {}

  /** `segment.id`: the caller's (an analytics cohort names its segment up front); else a new one. */
  async create(manager: EntityManager, projectId: string, segment: { id?: string; name: string; description: string | null }, now: Date): Promise<SegmentEntity> {
    const [row] = (await manager.query(
      `INSERT INTO segment (id, project_id, name, description, kind, rules, version, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'static', NULL, 1, 'ready', $5, $5) RETURNING *`,
      [segment.id ?? newSegmentId(), projectId, segment.name, segment.description, now],
    )) as SegmentRow[];
    const created = segmentFromRow(row!);
    await this.outbox.enqueue(manager, SegmentCreated, { projectId, occurredAt: now.toISOString(), segmentId: created.id, name: created.name });
    return created;
  }

  /** The profiles of `profileIds` not yet members enter (one entry each, published); returns them. */
  async addMembers(
    manager: EntityManager,
    projectId: string,
    segment: { id: string; version: number },
    profileIds: readonly string[],
    cause: MembershipCause,
    now: Date,
  ): Promise<string[]> {
    const given = [...new Set(profileIds)];
    const existing = new Set(await this.membersAmong(manager, projectId, segment.id, given));
    const entering = given.filter((profileId) => !existing.has(profileId));
    await this.memberships.apply(
      manager,
      projectId,
      entering.map((profileId) => ({ segmentId: segment.id, version: segment.version, profileId, change: 'entered', cause, eventId: null })),
      now,
    );
    return entering;
  }

  /** The members among `profileIds` exit (one exit each, published); returns them. */
  async removeMembers(
    manager: EntityManager,
    projectId: string,
    segment: { id: string; version: number },
    profileIds: readonly string[],
    cause: MembershipCause,
    now: Date,
  ): Promise<string[]> {
    const leaving = await this.membersAmong(manager, projectId, segment.id, [...new Set(profileIds)]);
    await this.memberships.apply(
      manager,
      projectId,
      leaving.map((profileId) => ({ segmentId: segment.id, version: segment.version, profileId, change: 'exited', cause, eventId: null })),
      now,
    );
    return leaving;
  }

  /** Refuses a change to a segment the RFM family manages (its computations alone write its members, names and life). */
  async refuseManaged(manager: EntityManager, projectId: string, segmentId: string, what: string, field: string): Promise<void> {
    const [family] = (await manager.query(
      `SELECT s.name FROM rfm_class_segment f JOIN segment s ON s.project_id = f.project_id AND s.id = f.segment_id WHERE f.project_id = $1 AND f.segment_id = $2`,
      [projectId, segmentId],
    )) as { name: string }[];
    if (family)
      throw new SegmentError(
        SegmentErrorCode.SegmentManaged,
        `Segment ${segmentId} belongs to the RFM family (class "${family.name}"): RFM computations alone write its members, name and life, so ${what} is refused; change the RFM configuration (configureRfm) instead`,
        field,
      );
  }

  private async membersAmong(manager: EntityManager, projectId: string, segmentId: string, profileIds: readonly string[]): Promise<string[]> {
    if (profileIds.length === 0) return [];
    const rows = (await manager.query(
      `SELECT profile_id FROM segment_membership WHERE project_id = $1 AND segment_id = $2 AND profile_id = ANY($3::uuid[]) ORDER BY profile_id`,
      [projectId, segmentId, profileIds],
    )) as { profile_id: string }[];
    return rows.map((row) => row.profile_id);
  }
}
