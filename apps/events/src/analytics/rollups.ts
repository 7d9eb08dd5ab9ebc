import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { comparable, readProperty } from '@boomerang/audience';
import type { IngestedEvent, MessageOf, ProfileDeleted } from '@boomerang/contracts';
import type { IdentityFingerprints } from '@boomerang/platform/messaging';
import { SETTINGS_LOCK, type AnalyticsSettings } from './analytics-settings.js';

/**
 * The rollups' one write path (immich's repository per table): every source of events — the
 * consumer's messages, the backfill's partitions, events that waited for their profile — becomes
 * rows `(project_id, event_id, profile_id, user_id, anonymous_id, ts, name, revenue)` folded in by
 * ONE statement (`applySql`), so all of them resolve profiles, follow merges and erasures, and
 * compute the local day the same way.
 */
@Injectable()
export class Rollups {
  /** Events of one EventsIngested message (or several of one project) received at or after the watermark. */
  async applyEvents(manager: EntityManager, projectId: string, events: readonly IngestedEvent[], settings: AnalyticsSettings): Promise<number> {
    if (events.length === 0) return 0;
    const revenue = events.map((event) => revenueOf(event.name, event.properties, settings));
    const [{ applied }] = (await manager.query(
      applySql(
        `SELECT $1::uuid AS project_id, e.event_id, e.profile_id, e.user_id, e.anonymous_id, e.ts, e.name, e.revenue
         FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::numeric[])
           AS e (event_id, profile_id, user_id, anonymous_id, ts, name, revenue)`,
      ),
      [
        projectId,
        events.map((event) => event.eventId),
        events.map((event) => event.profileId),
        events.map((event) => event.userId ?? null),
        events.map((event) => event.anonymousId ?? null),
        events.map((event) => event.timestamp),
        events.map((event) => event.name),
        revenue,
      ],
    )) as [{ applied: number }];
    return applied;
  }

  /** Events received while a rebuild of the project's rollups is pending: RollupRebuild folds them once it has folded the older ones. */
  async park(manager: EntityManager, projectId: string, events: readonly IngestedEvent[], settings: AnalyticsSettings): Promise<void> {
    if (events.length === 0) return;
    await manager.query(
      `INSERT INTO analytics_rebuild_parked (project_id, event_id, profile_id, user_id, anonymous_id, "timestamp", name, revenue)
       SELECT $1::uuid, * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::numeric[])
       ON CONFLICT (project_id, event_id) DO NOTHING`,
      [
        projectId,
        events.map((event) => event.eventId),
        events.map((event) => event.profileId),
        events.map((event) => event.userId ?? null),
        events.map((event) => event.anonymousId ?? null),
        events.map((event) => event.timestamp),
        events.map((event) => event.name),
        events.map((event) => revenueOf(event.name, event.properties, settings)),
      ],
    );
  }

  /**
   * ProfileIdentified: the events that waited for these ids are the profile's; folded in at once
   * (by the message's profile, as ProfileLinks.link attaches the raw events), through the
   * (project, user_id) / (project, anonymous_id) indexes of the waiting table.
   */
  async applyIdentified(manager: EntityManager, projectId: string, profileId: string, userId: string | null, anonymousIds: readonly string[]): Promise<number> {
    if (userId === null && anonymousIds.length === 0) return 0;
    await beginFold(manager, projectId);
    const [row] = (await manager.query(
      applySql(
        `SELECT project_id, event_id, $2::uuid AS profile_id, user_id, anonymous_id, "timestamp" AS ts, name, revenue FROM linked`,
        `linked AS (DELETE FROM analytics_unlinked u WHERE u.project_id = $1 AND (u.user_id = $3 OR u.anonymous_id = ANY($4::text[])) RETURNING u.*)`,
      ),
      [projectId, profileId, userId, anonymousIds],
    )) as [{ applied: number }];
    return row.applied;
  }

  /**
   * The fallback for waiting events whose link came another way (an event stored after its
   * identify was folded): at most `limit` of those whose user or anonymous id a profile now owns,
   * joined to the links by their key; project by project under its lock (as the consumer's folds).
   * One instance sweeps at a time (the others skip this round).
   */
  async applyLinked(manager: EntityManager, limit = LINKED_SWEEP_LIMIT): Promise<number> {
    const [{ sweeping }] = (await manager.query(`SELECT pg_try_advisory_xact_lock(hashtextextended('analytics-linked-sweep', 0)) AS sweeping`)) as [{ sweeping: boolean }];
    if (!sweeping) return 0;
    const found = (await manager.query(
      `SELECT project_id, array_agg(event_id) AS ids FROM (
         (SELECT u.project_id, u.event_id FROM analytics_unlinked u JOIN profile_link l ON l.project_id = u.project_id AND l.kind = 'user_id' AND l.value = u.user_id LIMIT $1)
         UNION
         (SELECT u.project_id, u.event_id FROM analytics_unlinked u JOIN profile_link l ON l.project_id = u.project_id AND l.kind = 'anonymous_id' AND l.value = u.anonymous_id LIMIT $1)
       ) linked GROUP BY project_id ORDER BY project_id`,
      [limit],
    )) as { project_id: string; ids: string[] }[];
    let applied = 0;
    for (const { project_id: projectId, ids } of found) {
      await beginFold(manager, projectId);
      const [row] = (await manager.query(
        applySql(
          `SELECT project_id, event_id, NULL::uuid AS profile_id, user_id, anonymous_id, "timestamp" AS ts, name, revenue FROM linked`,
          `linked AS (DELETE FROM analytics_unlinked u WHERE u.project_id = $1 AND u.event_id = ANY($2::uuid[]) RETURNING u.*)`,
        ),
        [projectId, ids],
      )) as [{ applied: number }];
      applied += row.applied;
    }
    return applied;
  }

  /** Folds in any set of rows of the shape above (the backfill's partitions); `params` are the source's. */
  async applySource(manager: EntityManager, source: string, params: unknown[]): Promise<number> {
    const [{ applied }] = (await manager.query(applySql(source), params)) as [{ applied: number }];
    return applied;
  }

  /** ProfileMerged: the merged profile's rows become the survivor's (added up, earliest first), and late events follow. */
  async merge(manager: EntityManager, projectId: string, survivorId: string, mergedId: string): Promise<void> {
    const params = [projectId, survivorId, mergedId];
    // Waits for the project's folds in flight (they hold the lock shared): one committing after the move would leave rows under the merged id.
    await manager.query(`SELECT pg_advisory_xact_lock(${SETTINGS_LOCK})`, [projectId]);
    await manager.query(
      `INSERT INTO analytics_profile_gone (project_id, profile_id, survivor_id) VALUES ($1, $3, $2)
       ON CONFLICT (project_id, profile_id) DO UPDATE SET survivor_id = excluded.survivor_id WHERE analytics_profile_gone.survivor_id IS NOT NULL`,
      params,
    );
    // Profiles merged into the merged one earlier now lead to the survivor.
    await manager.query(`UPDATE analytics_profile_gone SET survivor_id = $2 WHERE project_id = $1 AND survivor_id = $3`, params);
    await manager.query(
      `WITH moved AS (DELETE FROM profile_day WHERE project_id = $1 AND profile_id = $3 RETURNING day, events, revenue)
       INSERT INTO profile_day (project_id, profile_id, day, events, revenue) SELECT $1, $2, day, events, revenue FROM moved ORDER BY day
       ON CONFLICT (project_id, profile_id, day) DO UPDATE SET events = profile_day.events + excluded.events, revenue = profile_day.revenue + excluded.revenue`,
      params,
    );
    await manager.query(
      `WITH moved AS (DELETE FROM profile_day_event WHERE ${profileDayEventRows('$1', '$3')} RETURNING name, day, events, revenue)
       INSERT INTO profile_day_event (project_id, name, profile_id, day, events, revenue) SELECT $1, name, $2, day, events, revenue FROM moved ORDER BY name, day
       ON CONFLICT (project_id, name, profile_id, day) DO UPDATE SET events = profile_day_event.events + excluded.events, revenue = profile_day_event.revenue + excluded.revenue`,
      params,
    );
    await manager.query(
      `WITH moved AS (DELETE FROM profile_event_times WHERE project_id = $1 AND profile_id = $3 RETURNING name, month, times)
       INSERT INTO profile_event_times (project_id, profile_id, name, month, times) SELECT $1, $2, name, month, times FROM moved ORDER BY name, month
       ON CONFLICT (project_id, profile_id, name, month) DO UPDATE SET times = ${mergedTimes('profile_event_times.times', 'excluded.times')}`,
      params,
    );
    await manager.query(
      `WITH moved AS (DELETE FROM profile_days WHERE project_id = $1 AND profile_id = $3 RETURNING days, revenue)
       INSERT INTO profile_days (project_id, profile_id, days, revenue) SELECT $1, $2, days, revenue FROM moved
       ON CONFLICT (project_id, profile_id) DO UPDATE SET ${mergedDays('profile_days', 'excluded')}`,
      params,
    );
    await manager.query(
      `WITH moved AS (DELETE FROM profile_first_seen WHERE project_id = $1 AND profile_id = $3 RETURNING first_day)
       INSERT INTO profile_first_seen (project_id, profile_id, first_day) SELECT $1, $2, first_day FROM moved
       ON CONFLICT (project_id, profile_id) DO UPDATE SET first_day = excluded.first_day
       WHERE excluded.first_day < profile_first_seen.first_day`,
      params,
    );
    // The survivor's own snapshot (ProfileChanged) follows its merge.
    await manager.query(`DELETE FROM analytics_profile WHERE project_id = $1 AND profile_id = $2`, [projectId, mergedId]);
    await manager.query(
      `WITH moved AS (DELETE FROM profile_first_event WHERE project_id = $1 AND profile_id = $3 RETURNING name, first_day)
       INSERT INTO profile_first_event (project_id, name, profile_id, first_day) SELECT $1, name, $2, first_day FROM moved ORDER BY name
       ON CONFLICT (project_id, name, profile_id) DO UPDATE SET first_day = excluded.first_day
       WHERE excluded.first_day < profile_first_event.first_day`,
      params,
    );
  }

  /**
   * ProfileDeleted (GDPR): every rollup of the profile, and its waiting events: under the ids it
   * was linked by, or whose ids' fingerprints the message names (privacy may have deleted the links first).
   */
  async erase(manager: EntityManager, erasure: MessageOf<typeof ProfileDeleted>, linked: { userIds: string[]; anonymousIds: string[] }, fingerprints: IdentityFingerprints): Promise<void> {
    const { projectId, profileId } = erasure;
    // As merge: no fold of the project in flight may commit rows of the profile after they are deleted.
    await manager.query(`SELECT pg_advisory_xact_lock(${SETTINGS_LOCK})`, [projectId]);
    await manager.query(
      `INSERT INTO analytics_profile_gone (project_id, profile_id, survivor_id) VALUES ($1, $2, NULL)
       ON CONFLICT (project_id, profile_id) DO UPDATE SET survivor_id = NULL`,
      [projectId, profileId],
    );
    // Profiles merged into this one lead nowhere now: a late event of theirs would otherwise land on the erased profile.
    await manager.query(`UPDATE analytics_profile_gone SET survivor_id = NULL WHERE project_id = $1 AND survivor_id = $2`, [projectId, profileId]);
    // profile_day_event first: its rows are found by the names of the profile's other rows.
    await manager.query(`DELETE FROM profile_day_event WHERE ${profileDayEventRows('$1', '$2')}`, [projectId, profileId]);
    for (const table of [...PROFILE_ROLLUP_TABLES.filter((t) => t !== 'profile_day_event'), 'analytics_profile']) {
      await manager.query(`DELETE FROM ${table} WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId]);
    }
    const userIds = new Set(linked.userIds);
    const anonymousIds = new Set(linked.anonymousIds);
    const erased = new Set(erasure.erasedIdentities ?? []);
    if (erased.size > 0) {
      const waiting = (await manager.query(`SELECT user_id, anonymous_id FROM analytics_unlinked WHERE project_id = $1`, [projectId])) as WaitingIds[];
      for (const row of waiting) {
        if (row.user_id !== null && erased.has(fingerprints.of(projectId, 'user_id', row.user_id))) userIds.add(row.user_id);
        if (row.anonymous_id !== null && erased.has(fingerprints.of(projectId, 'anonymous_id', row.anonymous_id))) anonymousIds.add(row.anonymous_id);
      }
    }
    await manager.query(`DELETE FROM analytics_unlinked WHERE project_id = $1 AND (user_id = ANY($2::text[]) OR anonymous_id = ANY($3::text[]))`, [
      projectId,
      [...userIds],
      [...anonymousIds],
    ]);
    await manager.query(`DELETE FROM analytics_rebuild_parked WHERE project_id = $1 AND (profile_id = $2 OR user_id = ANY($3::text[]) OR anonymous_id = ANY($4::text[]))`, [
      projectId,
      profileId,
      [...userIds],
      [...anonymousIds],
    ]);
  }
}

/** The rollup tables with a profile's rows, all written by `applySql`'s one statement (rebuilds and erasures clear them). */
export const PROFILE_ROLLUP_TABLES = ['profile_day', 'profile_day_event', 'profile_days', 'profile_event_times', 'profile_first_seen', 'profile_first_event'] as const;

/**
 * SQL condition for a profile's `profile_day_event` rows, which have no index by profile (one index
 * entry fewer per row a fold writes): its primary key by each name the profile has rows of in
 * `profile_event_times` or `profile_first_event`, which the same statement writes for every one.
 */
function profileDayEventRows(project: string, profile: string): string {
  return `project_id = ${project} AND profile_id = ${profile} AND name IN (
    SELECT name FROM profile_event_times WHERE project_id = ${project} AND profile_id = ${profile}
    UNION SELECT name FROM profile_first_event WHERE project_id = ${project} AND profile_id = ${profile})`;
}

/**
 * A fold's start, in its transaction: the project's settings lock shared (settings changes, merges
 * and erasures wait for it), and no JIT: the fold statement's estimate (a link lookup per event)
 * passes jit_above_cost, and compiling took ~160 ms of a 5,000-event fold.
 */
export async function beginFold(manager: EntityManager, projectId: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock_shared(${SETTINGS_LOCK}), set_config('jit', 'off', true)`, [projectId]);
}

/** Most waiting events one sweep folds (the rest wait for the next). */
const LINKED_SWEEP_LIMIT = 20_000;

interface WaitingIds {
  user_id: string | null;
  anonymous_id: string | null;
}

/** The revenue an event carries under the project's settings: its amount property read leniently (`comparable(v, 'number')`), else none. */
export function revenueOf(name: string, properties: unknown, settings: Pick<AnalyticsSettings, 'revenueEvent' | 'revenueProperty'>): number | null {
  if (name !== settings.revenueEvent) return null;
  const amount = comparable(readProperty(properties, settings.revenueProperty), 'number');
  return typeof amount === 'number' ? amount : null;
}

/** SQL of the UTC month (its first day) of an instant: `profile_event_times.month`. */
export function utcMonthOf(time: string): string {
  return `date_trunc('month', (${time}) AT TIME ZONE 'UTC')::date`;
}

/** Two sorted arrays of event times as one sorted array. */
function mergedTimes(current: string, added: string): string {
  return `ARRAY(SELECT t FROM unnest(${current} || ${added}) t ORDER BY t)`;
}

/** Times added to a row's sorted times: appended when all are later (events mostly arrive in order), else merged. */
function appendedTimes(current: string, added: string): string {
  return `CASE WHEN ${added}[1] >= ${current}[cardinality(${current})] THEN ${current} || ${added} ELSE ${mergedTimes(current, added)} END`;
}

/** The added (days, revenue) change nothing in the current row: known days, no revenue. */
function unchangedDays(current: string, added: string): string {
  return `(${current}.days @> ${added}.days AND 0 = ALL (${added}.revenue))`;
}

/** Two rows' (days, revenue) as one: the days of both once, sorted, each day's revenue added up. */
function mergedDays(current: string, added: string): string {
  return `(days, revenue) = (SELECT array_agg(d ORDER BY d), array_agg(r ORDER BY d) FROM (
    SELECT d, sum(r) AS r FROM unnest(${current}.days || ${added}.days, ${current}.revenue || ${added}.revenue) AS x (d, r) GROUP BY d) y)`;
}

/**
 * One statement folding `source`'s rows into the rollups: a profile found by its user id (else
 * anonymous id) when the row has none; merged profiles followed to their survivor, erased ones
 * dropped; rows still without a profile wait in `analytics_unlinked`; the day is the local date in
 * the project's time zone (PostgreSQL's zone rules, so DST days are right). Each table gets one
 * grouped upsert in key order, so concurrent writers lock rows in the same order. Rows the batch
 * would not change (a known day without revenue, a first day no earlier) are left out before the
 * upsert, which would otherwise lock each of them (a heap write and WAL record apiece): most of a
 * live fold's rows. Safe against concurrent folds: these values only ever move one way (days
 * added, first days earlier); merges and erasures, which move them back, exclude folds (settings lock).
 */
export function applySql(source: string, prefix?: string): string {
  return `WITH ${prefix ? `${prefix},` : ''}
    source AS (${source}),
    resolved AS (
      SELECT s.project_id, s.event_id, s.user_id, s.anonymous_id, s.ts, s.name, s.revenue,
        COALESCE(s.profile_id,
          (SELECT l.profile_id FROM profile_link l WHERE s.user_id IS NOT NULL AND l.project_id = s.project_id AND l.kind = 'user_id' AND l.value = s.user_id),
          (SELECT l.profile_id FROM profile_link l WHERE s.anonymous_id IS NOT NULL AND l.project_id = s.project_id AND l.kind = 'anonymous_id' AND l.value = s.anonymous_id)
        ) AS profile_id
      FROM source s
    ),
    mapped AS (
      SELECT r.*, CASE WHEN g.profile_id IS NULL THEN r.profile_id ELSE g.survivor_id END AS target, g.profile_id IS NOT NULL AND g.survivor_id IS NULL AS erased
      FROM resolved r LEFT JOIN analytics_profile_gone g ON g.project_id = r.project_id AND g.profile_id = r.profile_id
    ),
    ev AS (
      SELECT m.project_id, m.target AS profile_id, m.ts, (m.ts AT TIME ZONE COALESCE(st.time_zone, 'UTC'))::date AS day, m.name, m.revenue
      FROM mapped m LEFT JOIN analytics_settings st ON st.project_id = m.project_id
      WHERE m.target IS NOT NULL
    ),
    waiting AS (
      INSERT INTO analytics_unlinked (project_id, event_id, user_id, anonymous_id, "timestamp", name, revenue)
      SELECT project_id, event_id, user_id, anonymous_id, ts, name, revenue FROM mapped
      WHERE profile_id IS NULL AND (user_id IS NOT NULL OR anonymous_id IS NOT NULL)
      ON CONFLICT (project_id, event_id) DO NOTHING
    ),
    days AS (
      INSERT INTO profile_day (project_id, profile_id, day, events, revenue)
      SELECT project_id, profile_id, day, count(*), COALESCE(sum(revenue), 0) FROM ev GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (project_id, profile_id, day) DO UPDATE SET events = profile_day.events + excluded.events, revenue = profile_day.revenue + excluded.revenue
    ),
    named_days AS (
      INSERT INTO profile_day_event (project_id, name, profile_id, day, events, revenue)
      SELECT project_id, name, profile_id, day, count(*), COALESCE(sum(revenue), 0) FROM ev GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
      ON CONFLICT (project_id, name, profile_id, day) DO UPDATE SET events = profile_day_event.events + excluded.events, revenue = profile_day_event.revenue + excluded.revenue
    ),
    event_times AS (
      INSERT INTO profile_event_times (project_id, profile_id, name, month, times)
      SELECT project_id, profile_id, name, ${utcMonthOf('ts')}, array_agg(ts ORDER BY ts) FROM ev GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
      ON CONFLICT (project_id, profile_id, name, month) DO UPDATE SET times = ${appendedTimes('profile_event_times.times', 'excluded.times')}
    ),
    active_days AS (
      INSERT INTO profile_days (project_id, profile_id, days, revenue)
      SELECT a.* FROM (
        SELECT project_id, profile_id, array_agg(day ORDER BY day) AS days, array_agg(revenue ORDER BY day) AS revenue
        FROM (SELECT project_id, profile_id, day, COALESCE(sum(revenue), 0) AS revenue FROM ev GROUP BY 1, 2, 3) d GROUP BY 1, 2
      ) a
      WHERE NOT EXISTS (SELECT FROM profile_days p WHERE p.project_id = a.project_id AND p.profile_id = a.profile_id AND ${unchangedDays('p', 'a')})
      ORDER BY 1, 2
      ON CONFLICT (project_id, profile_id) DO UPDATE SET ${mergedDays('profile_days', 'excluded')}
      WHERE NOT ${unchangedDays('profile_days', 'excluded')}
    ),
    first_seen AS (
      INSERT INTO profile_first_seen (project_id, profile_id, first_day)
      SELECT a.* FROM (SELECT project_id, profile_id, min(day) AS first_day FROM ev GROUP BY 1, 2) a
      WHERE a.first_day < COALESCE((SELECT f.first_day FROM profile_first_seen f WHERE f.project_id = a.project_id AND f.profile_id = a.profile_id), 'infinity')
      ORDER BY 1, 2
      ON CONFLICT (project_id, profile_id) DO UPDATE SET first_day = excluded.first_day
      WHERE excluded.first_day < profile_first_seen.first_day
    ),
    first_events AS (
      INSERT INTO profile_first_event (project_id, name, profile_id, first_day)
      SELECT a.* FROM (SELECT project_id, name, profile_id, min(day) AS first_day FROM ev GROUP BY 1, 2, 3) a
      WHERE a.first_day < COALESCE((SELECT f.first_day FROM profile_first_event f WHERE f.project_id = a.project_id AND f.name = a.name AND f.profile_id = a.profile_id), 'infinity')
      ORDER BY 1, 2, 3
      ON CONFLICT (project_id, name, profile_id) DO UPDATE SET first_day = excluded.first_day
      WHERE excluded.first_day < profile_first_event.first_day
    )
    SELECT count(*)::int AS applied FROM ev`;
}
