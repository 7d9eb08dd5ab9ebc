import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { evaluateRule, leavesOf, type Leaf } from '@boomerang/audience';
import type { LiveSegment, StoredLeaf } from './leaf-catalog.js';
import { LeafStates, stateKey } from './leaf-states.js';
import { MembershipChanges, type MembershipCause, type MembershipTransition } from './membership-changes.js';

/** Why a profile is looked at again: the leaves whose verdict changed for it ('all': every segment). */
export interface ProfileChange {
  readonly leafIds: ReadonlySet<string> | 'all';
  readonly cause: MembershipCause;
  readonly eventId: string | null;
}

/** Cascades through "in segment X" leaves stop here (rules refuse cycles; this bounds the work regardless). */
const MAX_CASCADE = 10;

/**
 * Decides, for a few profiles, the segments whose verdict can have changed: only segments whose
 * current rules hold a leaf that changed for the profile (never every segment), evaluated in
 * memory from the leaf states; entries and exits are written through MembershipChanges, and a
 * change of membership re-evaluates the segments whose rules name that segment.
 */
@Injectable()
export class ProfileEvaluation {
  constructor(
    private readonly states: LeafStates,
    private readonly memberships: MembershipChanges,
  ) {}

  async evaluate(
    manager: EntityManager,
    projectId: string,
    catalog: { leaves: ReadonlyMap<string, StoredLeaf>; segments: readonly LiveSegment[] },
    changes: ReadonlyMap<string, ProfileChange>,
    now: Date,
  ): Promise<MembershipTransition[]> {
    // A segment whose members came from a scan while its leaves' states are still being filled is
    // left alone: the states are partial until then, and the members are recomputed from them once filled.
    const ready = catalog.segments.filter((segment) => segment.status === 'ready' && segment.leafIds.every((leafId) => catalog.leaves.get(leafId)?.status !== 'backfilling'));
    const all: MembershipTransition[] = [];
    let pending = new Map(changes);
    for (let round = 0; round < MAX_CASCADE && pending.size > 0; round++) {
      const transitions = await this.evaluateRound(manager, projectId, catalog.leaves, ready, pending);
      await this.memberships.apply(manager, projectId, transitions, now);
      all.push(...transitions);
      pending = this.cascade(catalog.leaves, transitions);
    }
    return all;
  }

  private async evaluateRound(
    manager: EntityManager,
    projectId: string,
    leaves: ReadonlyMap<string, StoredLeaf>,
    segments: readonly LiveSegment[],
    changes: ReadonlyMap<string, ProfileChange>,
  ): Promise<MembershipTransition[]> {
    const work: { profileId: string; segment: LiveSegment; change: ProfileChange }[] = [];
    for (const [profileId, change] of changes)
      for (const segment of segments)
        if (change.leafIds === 'all' || segment.leafIds.some((leafId) => (change.leafIds as ReadonlySet<string>).has(leafId))) work.push({ profileId, segment, change });
    if (work.length === 0) return [];
    const profileIds = [...new Set(work.map((item) => item.profileId))];
    const leafIds = [...new Set(work.flatMap((item) => item.segment.leafIds))];
    const states = await this.states.read(manager, projectId, leafIds, profileIds);
    // The memberships the verdicts read: of the segments judged and of those their rules name.
    const segmentIds = new Set(work.map((item) => item.segment.id));
    for (const item of work) for (const leaf of leavesOf(item.segment.rule)) if (leaf.kind === 'segment') segmentIds.add(leaf.rule.segmentId);
    const memberOf = await this.membershipsOf(manager, projectId, [...segmentIds], profileIds);
    const byKey = new Map([...leaves.values()].map((stored) => [stored.leaf.key, stored]));
    const transitions: MembershipTransition[] = [];
    for (const { profileId, segment, change } of work) {
      const member = memberOf.get(profileId)?.has(segment.id) ?? false;
      const truth = (leaf: Leaf): boolean => {
        if (leaf.kind === 'segment') return memberOf.get(profileId)?.has(leaf.rule.segmentId) ?? false;
        const stored = byKey.get(leaf.key);
        if (!stored) return false;
        const state = states.get(stateKey(stored.id, profileId));
        return state ? state.matched : stored.matchesWithoutHits;
      };
      const qualifies = evaluateRule(segment.rule, truth);
      if (qualifies === member) continue;
      transitions.push({ segmentId: segment.id, version: segment.version, profileId, change: qualifies ? 'entered' : 'exited', cause: change.cause, eventId: change.eventId });
      // Later segments of this round see the membership as it now is.
      const set = memberOf.get(profileId) ?? new Set<string>();
      if (qualifies) set.add(segment.id);
      else set.delete(segment.id);
      memberOf.set(profileId, set);
    }
    return transitions;
  }

  /**
   * Live events with hits in a leaf still being filled, noted for the segments holding it (left
   * alone by `evaluate` until their states are filled: members from a scan, or a scan under way).
   * A hit may change nothing in the partial state and still decide the verdict once the history is
   * in, so every hit is noted, the latest per segment and profile: the recompute after the fill
   * publishes that profile's transition as caused by it (`MembershipChanges`).
   */
  async noteFillEvents(
    manager: EntityManager,
    projectId: string,
    catalog: { leaves: ReadonlyMap<string, StoredLeaf>; segments: readonly LiveSegment[] },
    hits: readonly { readonly leafId: string; readonly profileId: string; readonly eventId: string }[],
  ): Promise<void> {
    const filling = hits.filter((hit) => catalog.leaves.get(hit.leafId)?.status === 'backfilling');
    if (filling.length === 0) return;
    const noted = new Map<string, { segmentId: string; profileId: string; eventId: string }>();
    for (const segment of catalog.segments) {
      if (segment.status === 'failed') continue;
      for (const hit of filling) if (segment.leafIds.includes(hit.leafId)) noted.set(`${segment.id}:${hit.profileId}`, { segmentId: segment.id, profileId: hit.profileId, eventId: hit.eventId });
    }
    if (noted.size === 0) return;
    const rows = [...noted.values()];
    await manager.query(
      `INSERT INTO segment_fill_event (project_id, segment_id, profile_id, event_id)
       SELECT $1, segment_id, profile_id, event_id FROM unnest($2::uuid[], $3::uuid[], $4::uuid[]) AS t(segment_id, profile_id, event_id)
       ON CONFLICT (segment_id, profile_id) DO UPDATE SET event_id = EXCLUDED.event_id`,
      [projectId, rows.map((row) => row.segmentId), rows.map((row) => row.profileId), rows.map((row) => row.eventId)],
    );
  }

  /** The next round: profiles whose membership changed, through the leaves naming those segments. */
  private cascade(leaves: ReadonlyMap<string, StoredLeaf>, transitions: readonly MembershipTransition[]): Map<string, ProfileChange> {
    const next = new Map<string, ProfileChange>();
    for (const transition of transitions) {
      const naming = [...leaves.values()].filter((stored) => stored.leaf.kind === 'segment' && stored.leaf.rule.segmentId === transition.segmentId);
      if (naming.length === 0) continue;
      const existing = next.get(transition.profileId);
      const leafIds = new Set([...(existing && existing.leafIds !== 'all' ? existing.leafIds : []), ...naming.map((stored) => stored.id)]);
      next.set(transition.profileId, { leafIds, cause: 'segment', eventId: transition.eventId });
    }
    return next;
  }

  /** Which of `segmentIds` each profile is a member of: primary-key probes (segment, profile); memberships have no index by profile. */
  private async membershipsOf(manager: EntityManager, projectId: string, segmentIds: readonly string[], profileIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const rows = (await manager.query(
      `SELECT profile_id, segment_id FROM segment_membership WHERE segment_id = ANY($2::uuid[]) AND profile_id = ANY($3::uuid[]) AND project_id = $1`,
      [projectId, segmentIds, profileIds],
    )) as { profile_id: string; segment_id: string }[];
    const map = new Map<string, Set<string>>();
    for (const row of rows) map.set(row.profile_id, (map.get(row.profile_id) ?? new Set()).add(row.segment_id));
    return map;
  }
}
