import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventsAttached, MAX_EVENTS_PER_MESSAGE } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { OneAtATime } from '@boomerang/platform/subgraph';
import type { EventRow } from '../events/event.entity.js';
import { storedEvent } from '../ingestion/event-announcements.js';
import { archivedTables } from '../partitions/event-partitions.js';

interface Identities {
  userId: string | null;
  anonymousId: string | null;
}

interface LinkRow {
  kind: string;
  value: string;
  profile_id: string;
}

function setOwners(cached: CachedLinks, rows: readonly LinkRow[]): void {
  for (const { kind, value, profile_id } of rows) (kind === 'user_id' ? cached.users : cached.anonymous).set(value, profile_id);
}

/**
 * Most identities an instance caches, all projects together: past it the least recently used
 * projects' caches go first, then (one project alone that large) that project's starts over. Each
 * refills from misses.
 */
const MAX_CACHED_IDENTITIES = 500_000;
/** A cache this many versions behind starts over rather than reading every change since. */
const MAX_VERSIONS_BEHIND = 1_000;

/** One project's cached links as of `version`: profile id per user id and per anonymous id, null for "no profile". */
interface CachedLinks {
  version: number;
  users: Map<string, string | null>;
  anonymous: Map<string, string | null>;
}

/**
 * The events service's copy of which profile owns which user and anonymous ids. Kept in step
 * by `profiles` messages; read at ingest to attach events to profiles.
 *
 * Ingest reads it through a cache of this instance's, which holds known absences too (most SDK
 * identities have no profile yet when their events arrive). Every write to a project's links
 * takes the next version of the project (`profile_link_version`; its row lock makes versions
 * commit in order) and stamps the rows it writes. Ingest reads the version first: unchanged, the
 * cache is current (whichever instance wrote); changed, the rows stamped since are read into it,
 * or, after an erasure deleted links, it starts over. So a cached answer is never older than the
 * version read, as an uncached look-up at that moment would be.
 */
@Injectable()
export class ProfileLinks {
  /** MAX_CACHED_IDENTITIES (tests lower it). */
  maxCachedIdentities = MAX_CACHED_IDENTITIES;
  private readonly cache = new Map<string, CachedLinks>();
  /** Resolves of a project run one after the other, so none stores an older answer over a newer one. */
  private readonly resolving = new OneAtATime();

  constructor(private readonly outbox: OutboxWriter) {}

  /** Identities this instance holds in its cache, all projects together. */
  get cachedIdentities(): number {
    let total = 0;
    for (const cached of this.cache.values()) total += cached.users.size + cached.anonymous.size;
    return total;
  }
  /** Profile id for each command's identities (user id wins over anonymous id), or null. */
  resolve(manager: EntityManager, projectId: string, commands: readonly Identities[]): Promise<(string | null)[]> {
    return this.resolving.run(projectId, () => this.resolveNow(manager, projectId, commands));
  }

  private async resolveNow(manager: EntityManager, projectId: string, commands: readonly Identities[]): Promise<(string | null)[]> {
    const cached = await this.current(manager, projectId);
    const { users, anonymous } = cached;
    const missingUsers = new Set<string>();
    const missingAnonymous = new Set<string>();
    for (const { userId, anonymousId } of commands) {
      if (userId && !users.has(userId)) missingUsers.add(userId);
      if (anonymousId && !anonymous.has(anonymousId)) missingAnonymous.add(anonymousId);
    }
    if (missingUsers.size > 0 || missingAnonymous.size > 0) {
      const rows = (await manager.query(
        `SELECT kind, value, profile_id FROM profile_link
         WHERE project_id = $1 AND ((kind = 'user_id' AND value = ANY($2::text[])) OR (kind = 'anonymous_id' AND value = ANY($3::text[])))`,
        [projectId, [...missingUsers], [...missingAnonymous]],
      )) as LinkRow[];
      this.makeRoom(cached, missingUsers.size + missingAnonymous.size);
      for (const userId of missingUsers) users.set(userId, null);
      for (const anonymousId of missingAnonymous) anonymous.set(anonymousId, null);
      setOwners(cached, rows);
    }
    return commands.map(({ userId, anonymousId }) => (userId && users.get(userId)) || (anonymousId && anonymous.get(anonymousId)) || null);
  }

  /** Evicts until `adding` more identities fit under the limit (least recently used projects first). */
  private makeRoom(current: CachedLinks, adding: number): void {
    let total = this.cachedIdentities + adding;
    for (const [projectId, cached] of this.cache) {
      if (total <= this.maxCachedIdentities) return;
      if (cached === current) continue;
      total -= cached.users.size + cached.anonymous.size;
      this.cache.delete(projectId);
    }
    if (total > this.maxCachedIdentities) {
      current.users.clear();
      current.anonymous.clear();
    }
  }

  /** The project's cache brought up to its current version (one small read when nothing changed); now the most recently used. */
  private async current(manager: EntityManager, projectId: string): Promise<CachedLinks> {
    const [state] = (await manager.query(`SELECT version, reset_version FROM profile_link_version WHERE project_id = $1`, [projectId])) as {
      version: string;
      reset_version: string;
    }[];
    const version = Number(state?.version ?? 0);
    let cached = this.cache.get(projectId);
    if (cached) {
      // (Map order is use order: re-inserted at the end.)
      this.cache.delete(projectId);
      this.cache.set(projectId, cached);
    }
    if (cached?.version === version) return cached;
    // (Statement snapshots only move forward, and resolves run one at a time: a version read is never older than the cache's.)
    if (!cached || Number(state?.reset_version ?? 0) > cached.version || version - cached.version > MAX_VERSIONS_BEHIND) {
      cached = { version, users: new Map(), anonymous: new Map() };
      this.cache.set(projectId, cached);
      return cached;
    }
    // Rows stamped after the cached version (a later one may show too: it is applied again next time).
    setOwners(
      cached,
      (await manager.query(`SELECT kind, value, profile_id FROM profile_link WHERE project_id = $1 AND version > $2`, [projectId, cached.version])) as LinkRow[],
    );
    cached.version = version;
    return cached;
  }

  /** Takes the project's next links version for this transaction (held until it commits); `reset`: it deletes links. */
  private async nextVersion(manager: EntityManager, projectId: string, reset = false): Promise<number> {
    const [row] = (await manager.query(
      `INSERT INTO profile_link_version AS v (project_id, version, reset_version) VALUES ($1, 1, CASE WHEN $2 THEN 1 ELSE 0 END)
       ON CONFLICT (project_id) DO UPDATE SET version = v.version + 1, reset_version = CASE WHEN $2 THEN v.version + 1 ELSE v.reset_version END
       RETURNING version`,
      [projectId, reset],
    )) as { version: string }[];
    return Number(row!.version);
  }

  /** Records the identities and attaches the events that were waiting for them. */
  async link(manager: EntityManager, projectId: string, profileId: string, userId: string | null, anonymousIds: readonly string[]): Promise<number> {
    const kinds = [...(userId ? ['user_id'] : []), ...anonymousIds.map(() => 'anonymous_id')];
    const values = [...(userId ? [userId] : []), ...anonymousIds];
    if (values.length === 0) return 0;
    await manager.query(
      `INSERT INTO profile_link (project_id, kind, value, profile_id, version)
       SELECT $1, kind, value, $2, $5 FROM unnest($3::text[], $4::text[]) AS link(kind, value)
       ON CONFLICT (project_id, kind, value) DO UPDATE SET profile_id = EXCLUDED.profile_id, version = EXCLUDED.version`,
      [projectId, profileId, kinds, values, await this.nextVersion(manager, projectId)],
    );
    const attached = (await manager.query(
      `UPDATE event SET profile_id = $2
       WHERE project_id = $1 AND profile_id IS NULL AND (user_id = $3 OR anonymous_id = ANY($4::text[]))
       RETURNING *`,
      [projectId, profileId, userId, anonymousIds],
    )) as [EventRow[], number];
    await this.announceAttached(manager, projectId, attached[0]);
    return attached[1];
  }

  /**
   * Records EventsAttached for events that just got their profile (rows RETURNING from the UPDATE
   * that attached them, in this transaction): in the order they happened, MAX_EVENTS_PER_MESSAGE
   * at most per message, through the outbox, so the messages exist if and only if the attach commits.
   */
  async announceAttached(manager: EntityManager, projectId: string, rows: readonly EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    const events = [...rows]
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : 1))
      .map((row) => ({ ...storedEvent(row), profileId: row.profile_id! }));
    const occurredAt = new Date().toISOString();
    const bodies = [];
    for (let at = 0; at < events.length; at += MAX_EVENTS_PER_MESSAGE) bodies.push({ projectId, occurredAt, events: events.slice(at, at + MAX_EVENTS_PER_MESSAGE) });
    await this.outbox.enqueueMany(manager, EventsAttached, bodies);
  }

  /** Re-points the merged profile's identities and events (archived months too) to the survivor. */
  async merge(manager: EntityManager, projectId: string, survivorId: string, mergedId: string): Promise<void> {
    await manager.query(`UPDATE profile_link SET profile_id = $2, version = $4 WHERE project_id = $1 AND profile_id = $3`, [
      projectId,
      survivorId,
      mergedId,
      await this.nextVersion(manager, projectId),
    ]);
    for (const table of ['event', ...(await archivedTables(manager))]) {
      await manager.query(`UPDATE "${table}" SET profile_id = $2 WHERE project_id = $1 AND profile_id = $3`, [projectId, survivorId, mergedId]);
    }
  }

  /** The user and anonymous ids linked to the profile (an erasure reads them before `erase` deletes them). */
  async linkedIds(manager: EntityManager, projectId: string, profileId: string): Promise<{ userIds: string[]; anonymousIds: string[] }> {
    const rows = (await manager.query(`SELECT kind, value FROM profile_link WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId])) as LinkRow[];
    return {
      userIds: rows.filter((row) => row.kind === 'user_id').map((row) => row.value),
      anonymousIds: rows.filter((row) => row.kind === 'anonymous_id').map((row) => row.value),
    };
  }

  /**
   * GDPR erasure: the profile's events (linked, or still waiting under its ids), in the live
   * table and in every archived month, and its links. Returns how many events were erased.
   */
  async erase(manager: EntityManager, projectId: string, profileId: string): Promise<number> {
    await this.nextVersion(manager, projectId, true);
    const links = (await manager.query(`DELETE FROM profile_link WHERE project_id = $1 AND profile_id = $2 RETURNING kind, value`, [
      projectId,
      profileId,
    ])) as [{ kind: string; value: string }[], number];
    const rows = links[0];
    const userIds = rows.filter((row) => row.kind === 'user_id').map((row) => row.value);
    const anonymousIds = rows.filter((row) => row.kind === 'anonymous_id').map((row) => row.value);
    const ids: string[] = [];
    // Detached months are out of every query but still hold personal data.
    for (const table of ['event', ...(await archivedTables(manager))]) {
      const deleted = (await manager.query(
        `DELETE FROM "${table}"
         WHERE project_id = $1 AND (profile_id = $2 OR (profile_id IS NULL AND (user_id = ANY($3::text[]) OR anonymous_id = ANY($4::text[]))))
         RETURNING id`,
        [projectId, profileId, userIds, anonymousIds],
      )) as [{ id: string }[], number];
      ids.push(...deleted[0].map((row) => row.id));
    }
    if (ids.length > 0) {
      await manager.query(`DELETE FROM event_message_id WHERE project_id = $1 AND event_id = ANY($2::uuid[])`, [projectId, ids]);
    }
    return ids.length;
  }
}
