import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { addHit, evaluateLeaf, mergeLeafStates, type BehaviourLeaf } from '@boomerang/audience';
import type { StoredLeaf } from './leaf-catalog.js';
import { LeafStates, newStoredState, stateKey, type StoredLeafState } from './leaf-states.js';

/** One event that counts for one behaviour leaf of one profile. */
export interface LeafHit {
  readonly leafId: string;
  readonly profileId: string;
  readonly eventId: string;
  readonly timeMs: number;
  readonly value: number | null;
}

/** Per profile: the leaves whose verdict changed, and the (last) event that changed one. */
export type LeafChanges = Map<string, { leafIds: Set<string>; eventId: string | null }>;

/** The millisecond a UUIDv7 was minted (events mint event ids at receipt). */
export function uuidv7Ms(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * Folds hits into leaf states and re-judges them, in the caller's transaction. Each event counts
 * once per leaf: events minted before the leaf's `recent_from` are its backfill's; from there until
 * the backfill's snapshot (plus a margin) either side may see an event, so those are claimed in
 * `leaf_recent_hit` first and only the side that claims one counts it.
 */
@Injectable()
export class LeafHits {
  constructor(private readonly states: LeafStates) {}

  async record(manager: EntityManager, projectId: string, leaves: ReadonlyMap<string, StoredLeaf>, hits: readonly LeafHit[], nowMs: number): Promise<LeafChanges> {
    const counted: LeafHit[] = [];
    const toClaim: LeafHit[] = [];
    for (const hit of hits) {
      const leaf = leaves.get(hit.leafId);
      if (!leaf || leaf.recentFromMs === null) continue;
      const mintedMs = uuidv7Ms(hit.eventId);
      if (mintedMs < leaf.recentFromMs) continue;
      if (leaf.dedupeUntilMs === null || mintedMs < leaf.dedupeUntilMs) toClaim.push(hit);
      else counted.push(hit);
    }
    counted.push(...(await this.claim(manager, toClaim)));
    return this.fold(manager, projectId, leaves, counted, nowMs);
  }

  /** Hits the backfill brings (already claimed or older than `recent_from`): folded without claims. */
  fold(manager: EntityManager, projectId: string, leaves: ReadonlyMap<string, StoredLeaf>, hits: readonly LeafHit[], nowMs: number): Promise<LeafChanges> {
    return this.update(manager, projectId, leaves, hits, nowMs, (stored, hit) => addHit(stored.state, leaves.get(hit.leafId)!.spec!, hit.timeMs, hit.value));
  }

  /** Re-judges states whose time came (windows, moments), without new hits. */
  async rejudge(manager: EntityManager, projectId: string, leaves: ReadonlyMap<string, StoredLeaf>, pairs: readonly { leafId: string; profileId: string }[], nowMs: number): Promise<LeafChanges> {
    const locked = await this.states.lock(manager, projectId, pairs);
    const changes: LeafChanges = new Map();
    const save: StoredLeafState[] = [];
    for (const stored of locked.values()) {
      const leaf = leaves.get(stored.leafId);
      if (!leaf?.spec) continue;
      const before = stored.matched;
      const verdict = evaluateLeaf(leaf.leaf as BehaviourLeaf, stored.state, nowMs);
      stored.matched = verdict.matched;
      stored.recheckAt = verdict.recheckAt;
      save.push(stored);
      if (before !== verdict.matched) noteChange(changes, stored.profileId, stored.leafId, null);
    }
    await this.states.save(manager, projectId, save);
    return changes;
  }

  private async update(
    manager: EntityManager,
    projectId: string,
    leaves: ReadonlyMap<string, StoredLeaf>,
    hits: readonly LeafHit[],
    nowMs: number,
    apply: (stored: StoredLeafState, hit: LeafHit) => void,
  ): Promise<LeafChanges> {
    if (hits.length === 0) return new Map();
    const pairs = [...new Map(hits.map((hit) => [stateKey(hit.leafId, hit.profileId), { leafId: hit.leafId, profileId: hit.profileId }])).values()];
    const locked = await this.states.lock(manager, projectId, pairs);
    const fresh = new Map<string, StoredLeafState>();
    const lastEvent = new Map<string, string>();
    for (const hit of hits) {
      const key = stateKey(hit.leafId, hit.profileId);
      let stored = locked.get(key) ?? fresh.get(key);
      if (!stored) fresh.set(key, (stored = newStoredState(hit.leafId, hit.profileId, leaves.get(hit.leafId)!.matchesWithoutHits)));
      apply(stored, hit);
      lastEvent.set(key, hit.eventId);
    }
    return this.persist(manager, projectId, leaves, [...locked.values()], [...fresh.values()], nowMs, lastEvent);
  }

  /**
   * Judges and writes states: `existing` were locked and changed in place; `fresh` are new and
   * inserted unless another transaction made the same state meanwhile, which is then locked and
   * merged with the fresh one (never replaced). Returns whose verdicts changed.
   */
  async persist(
    manager: EntityManager,
    projectId: string,
    leaves: ReadonlyMap<string, StoredLeaf>,
    existing: readonly StoredLeafState[],
    fresh: readonly StoredLeafState[],
    nowMs: number,
    lastEvent: ReadonlyMap<string, string> = new Map(),
  ): Promise<LeafChanges> {
    const changes: LeafChanges = new Map();
    const judge = (stored: StoredLeafState, before: boolean) => {
      const leaf = leaves.get(stored.leafId)!;
      const verdict = evaluateLeaf(leaf.leaf as BehaviourLeaf, stored.state, nowMs);
      stored.matched = verdict.matched;
      stored.recheckAt = verdict.recheckAt;
      if (before !== verdict.matched) noteChange(changes, stored.profileId, stored.leafId, lastEvent.get(stateKey(stored.leafId, stored.profileId)) ?? null);
    };
    for (const stored of existing) judge(stored, stored.matched);
    await this.states.save(manager, projectId, existing);
    for (const stored of fresh) judge(stored, leaves.get(stored.leafId)!.matchesWithoutHits);
    const raced = await this.states.insertAbsent(manager, projectId, fresh);
    if (raced.length) {
      const locked = await this.states.lock(manager, projectId, raced);
      const merged: StoredLeafState[] = [];
      for (const mine of raced) {
        const theirs = locked.get(stateKey(mine.leafId, mine.profileId));
        if (!theirs) continue;
        const before = theirs.matched;
        mergeLeafStates(theirs.state, mine.state, leaves.get(mine.leafId)!.spec!);
        judge(theirs, before);
        merged.push(theirs);
      }
      await this.states.save(manager, projectId, merged);
    }
    return changes;
  }

  private async claim(manager: EntityManager, hits: readonly LeafHit[]): Promise<LeafHit[]> {
    if (hits.length === 0) return [];
    const claimed = (await manager.query(
      `INSERT INTO leaf_recent_hit (leaf_id, event_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])
       ON CONFLICT DO NOTHING RETURNING leaf_id, event_id`,
      [hits.map((hit) => hit.leafId), hits.map((hit) => hit.eventId)],
    )) as { leaf_id: string; event_id: string }[];
    const won = new Set(claimed.map((row) => `${row.leaf_id}:${row.event_id}`));
    return hits.filter((hit) => won.has(`${hit.leafId}:${hit.eventId}`));
  }
}

export function noteChange(changes: LeafChanges, profileId: string, leafId: string, eventId: string | null): void {
  const entry = changes.get(profileId) ?? { leafIds: new Set<string>(), eventId: null };
  entry.leafIds.add(leafId);
  if (eventId) entry.eventId = eventId;
  changes.set(profileId, entry);
}
