import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SegmentMembershipChanged, type MEMBERSHIP_CAUSES } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';

export type MembershipCause = (typeof MEMBERSHIP_CAUSES)[number];

/** A segment's members as entries, in id order (`$3`: the segment). */
const ENTERED_MEMBERS = `SELECT profile_id, 'entered' AS change FROM segment_membership WHERE segment_id = $3::uuid ORDER BY profile_id`;

/**
 * One SegmentMembershipChanged body per transition `transitions` selects, in its order; $1 project,
 * $2 occurredAt, $3 segment, $4 version, $5 cause. With `fillEvents`, a profile noted in
 * `segment_fill_event` has cause `event` and that event's id.
 */
const messagesSql = (transitions: string, fillEvents = false) =>
  fillEvents
    ? `SELECT json_build_object('projectId', $1::uuid, 'occurredAt', $2::text, 'segmentId', $3::uuid, 'profileId', t.profile_id,
                                'change', t.change, 'version', $4::int, 'cause', CASE WHEN t.event_id IS NULL THEN $5::text ELSE 'event' END, 'eventId', t.event_id) AS body
       FROM (SELECT s.profile_id, s.change, (SELECT f.event_id FROM segment_fill_event f WHERE f.segment_id = $3::uuid AND f.profile_id = s.profile_id) AS event_id
             FROM (${transitions}) s) t`
    : `SELECT json_build_object('projectId', $1::uuid, 'occurredAt', $2::text, 'segmentId', $3::uuid, 'profileId', t.profile_id,
                                'change', t.change, 'version', $4::int, 'cause', $5::text, 'eventId', NULL) AS body
       FROM (${transitions}) t`;

export interface MembershipTransition {
  readonly segmentId: string;
  readonly version: number;
  readonly profileId: string;
  readonly change: 'entered' | 'exited';
  readonly cause: MembershipCause;
  readonly eventId: string | null;
}

/**
 * Writes entries and exits: the membership rows, the day's size counters, and one
 * `SegmentMembershipChanged` per transition through the outbox, all in the caller's transaction
 * (a transition is published if and only if it committed).
 */
@Injectable()
export class MembershipChanges {
  constructor(private readonly outbox: OutboxWriter) {}

  /**
   * Makes a segment's members those `members` selects (SQL whose one column is `profile_id`, `$1`
   * being the project, its other parameters from `$2` on) and writes the entries and exits as
   * `apply` does, all in SQL: no member travels through JS. Returns how many entered and exited, and
   * the members it holds now where that is known without counting them (`size`: the entries of a
   * segment that had none; null after a difference).
   */
  async applyComputed(
    manager: EntityManager,
    projectId: string,
    segment: { readonly id: string; readonly version: number },
    members: { readonly sql: string; readonly params: readonly unknown[] },
    cause: MembershipCause,
    now: Date,
    options: { deferEntries?: boolean; fillEvents?: boolean } = {},
  ): Promise<{ entered: number; exited: number; deferred: boolean; size: number | null }> {
    const fillEvents = options.fillEvents ?? false;
    const [{ has }] = (await manager.query(`SELECT EXISTS (SELECT 1 FROM segment_membership WHERE segment_id = $1) AS has`, [segment.id])) as [{ has: boolean }];
    // Three sorts of tens of thousands of rows (the messages in order, numbered, cut into outbox rows): in memory.
    await manager.query(`SET LOCAL work_mem = '64MB'`);
    if (!has) return this.enterAll(manager, projectId, segment, members, cause, now, options.deferEntries ?? false, fillEvents);
    await manager.query(`CREATE TEMP TABLE membership_transition (profile_id uuid NOT NULL, change text NOT NULL) ON COMMIT DROP`);
    await manager.query(`CREATE TEMP TABLE computed_member ON COMMIT DROP AS ${members.sql}`, members.params);
    // Keyed, so comparing it with the members never turns into a scan of it per member.
    await manager.query(`ALTER TABLE computed_member ADD PRIMARY KEY (profile_id)`);
    await manager.query(`ANALYZE computed_member`);
    // Exits first: the anti-join then reads the members as they were, not with the entries the
    // planner does not know of yet (a new version's tens of thousands).
    await manager.query(
      `WITH exited AS (
         DELETE FROM segment_membership m WHERE m.project_id = $1 AND m.segment_id = $2
           AND NOT EXISTS (SELECT 1 FROM computed_member c WHERE c.profile_id = m.profile_id)
         RETURNING m.profile_id)
       INSERT INTO membership_transition SELECT profile_id, 'exited' FROM exited`,
      [projectId, segment.id],
    );
    await manager.query(
      `WITH entered AS (
         INSERT INTO segment_membership (project_id, segment_id, profile_id, added_at, version)
         SELECT $1, $2::uuid, c.profile_id, $3::timestamptz, $4::int FROM computed_member c
         WHERE NOT EXISTS (SELECT 1 FROM segment_membership m WHERE m.segment_id = $2::uuid AND m.profile_id = c.profile_id)
         ON CONFLICT (segment_id, profile_id) DO NOTHING
         RETURNING profile_id)
       INSERT INTO membership_transition SELECT profile_id, 'entered' FROM entered`,
      [projectId, segment.id, now, segment.version],
    );
    await manager.query(`DROP TABLE computed_member`);
    const [counts] = (await manager.query(
      `SELECT count(*) FILTER (WHERE change = 'entered')::int AS entered, count(*) FILTER (WHERE change = 'exited')::int AS exited FROM membership_transition`,
    )) as { entered: number; exited: number }[];
    // Entries first, then exits, as `apply` orders them.
    await this.recordTransitions(manager, projectId, segment, counts!, `SELECT profile_id, change FROM membership_transition ORDER BY change, profile_id`, cause, now, fillEvents);
    await manager.query(`DROP TABLE membership_transition`);
    return { ...counts!, deferred: false, size: null };
  }

  /**
   * A segment without members (a new one, or a new version of one that had none): every member
   * computed is an entry, inserted straight (the caller holds the segment's row, so no other
   * writer adds one meanwhile), and the messages are read back from the memberships in id order.
   */
  private async enterAll(
    manager: EntityManager,
    projectId: string,
    segment: { readonly id: string; readonly version: number },
    members: { readonly sql: string; readonly params: readonly unknown[] },
    cause: MembershipCause,
    now: Date,
    deferEntries: boolean,
    fillEvents: boolean,
  ): Promise<{ entered: number; exited: number; deferred: boolean; size: number | null }> {
    const params = [...members.params, segment.id, now, segment.version];
    const [segmentId, addedAt, version] = [params.length - 2, params.length - 1, params.length].map((at) => `$${at}`);
    const [{ entered }] = (await manager.query(
      `WITH entered AS (
         INSERT INTO segment_membership (project_id, segment_id, profile_id, added_at, version)
         SELECT $1, ${segmentId}::uuid, c.profile_id, ${addedAt}::timestamptz, ${version}::int FROM (${members.sql}) c
         RETURNING 1)
       SELECT count(*)::int AS entered FROM entered`,
      params,
    )) as [{ entered: number }];
    const counts = { entered, exited: 0 };
    if (deferEntries) {
      // The messages follow in their own transaction (`publishPendingEntries`): only the counters now.
      await this.recordTransitions(manager, projectId, segment, counts, null, cause, now);
      if (entered > 0) await manager.query(`UPDATE segment SET entries_pending = true WHERE project_id = $1 AND id = $2`, [projectId, segment.id]);
      return { ...counts, deferred: entered > 0, size: entered };
    }
    await this.recordTransitions(manager, projectId, segment, counts, ENTERED_MEMBERS, cause, now, fillEvents);
    return { ...counts, deferred: false, size: entered };
  }

  /**
   * Enqueues the membership-changed messages of entries written without them (`deferEntries`):
   * one per current member, in id order (a member that left meanwhile, erased or archived,
   * has published its exit and gets no entry). Returns how many; 0 when none were pending.
   */
  async publishPendingEntries(manager: EntityManager, projectId: string, segmentId: string, cause: MembershipCause, now: Date): Promise<number> {
    const [rows] = (await manager.query(`UPDATE segment SET entries_pending = false WHERE project_id = $1 AND id = $2 AND entries_pending RETURNING version`, [
      projectId,
      segmentId,
    ])) as [{ version: number }[], number];
    if (!rows.length) return 0;
    return this.outbox.enqueueSelected(manager, SegmentMembershipChanged, projectId, messagesSql(ENTERED_MEMBERS), [
      projectId,
      now.toISOString(),
      segmentId,
      rows[0]!.version,
      cause,
    ]);
  }

  /**
   * The day's counters and one membership-changed message per transition `transitions` selects
   * (`profile_id, change`, in its order; `$3` is the segment's id).
   */
  private async recordTransitions(
    manager: EntityManager,
    projectId: string,
    segment: { readonly id: string; readonly version: number },
    counts: { entered: number; exited: number },
    transitions: string | null,
    cause: MembershipCause,
    now: Date,
    fillEvents = false,
  ): Promise<void> {
    if (counts.entered + counts.exited === 0) return;
    await manager.query(
      `INSERT INTO segment_size_change (project_id, segment_id, day, entered, exited)
       VALUES ($1, $2, ($3::timestamptz AT TIME ZONE 'UTC')::date, $4, $5)
       ON CONFLICT (segment_id, day) DO UPDATE SET entered = segment_size_change.entered + EXCLUDED.entered, exited = segment_size_change.exited + EXCLUDED.exited`,
      [projectId, segment.id, now, counts.entered, counts.exited],
    );
    if (transitions === null) return;
    await this.outbox.enqueueSelected(manager, SegmentMembershipChanged, projectId, messagesSql(transitions, fillEvents), [projectId, now.toISOString(), segment.id, segment.version, cause]);
  }

  async apply(manager: EntityManager, projectId: string, transitions: readonly MembershipTransition[], now: Date): Promise<void> {
    if (transitions.length === 0) return;
    for (let start = 0; start < transitions.length; start += 5000) {
      const chunk = transitions.slice(start, start + 5000);
      const entered = chunk.filter((t) => t.change === 'entered');
      const exited = chunk.filter((t) => t.change === 'exited');
      if (entered.length)
        await manager.query(
          `INSERT INTO segment_membership (project_id, segment_id, profile_id, added_at, version)
           SELECT $1, segment_id, profile_id, $4, version FROM unnest($2::uuid[], $3::uuid[], $5::int[]) AS t(segment_id, profile_id, version)
           ON CONFLICT (segment_id, profile_id) DO NOTHING`,
          [projectId, entered.map((t) => t.segmentId), entered.map((t) => t.profileId), now, entered.map((t) => t.version)],
        );
      if (exited.length)
        await manager.query(
          `DELETE FROM segment_membership m USING unnest($2::uuid[], $3::uuid[]) AS t(segment_id, profile_id)
           WHERE m.project_id = $1 AND m.segment_id = t.segment_id AND m.profile_id = t.profile_id`,
          [projectId, exited.map((t) => t.segmentId), exited.map((t) => t.profileId)],
        );
      const counts = new Map<string, { entered: number; exited: number }>();
      for (const t of chunk) {
        const count = counts.get(t.segmentId) ?? { entered: 0, exited: 0 };
        count[t.change]++;
        counts.set(t.segmentId, count);
      }
      await manager.query(
        `INSERT INTO segment_size_change (project_id, segment_id, day, entered, exited)
         SELECT $1, segment_id, ($2::timestamptz AT TIME ZONE 'UTC')::date, entered, exited FROM unnest($3::uuid[], $4::int[], $5::int[]) AS t(segment_id, entered, exited)
         ON CONFLICT (segment_id, day) DO UPDATE SET entered = segment_size_change.entered + EXCLUDED.entered, exited = segment_size_change.exited + EXCLUDED.exited`,
        [projectId, now, [...counts.keys()], [...counts.values()].map((c) => c.entered), [...counts.values()].map((c) => c.exited)],
      );
      await this.outbox.enqueueMany(
        manager,
        SegmentMembershipChanged,
        chunk.map((t) => ({
          projectId,
          occurredAt: now.toISOString(),
          segmentId: t.segmentId,
          profileId: t.profileId,
          change: t.change,
          version: t.version,
          cause: t.cause,
          eventId: t.eventId,
        })),
      );
    }
  }
}
