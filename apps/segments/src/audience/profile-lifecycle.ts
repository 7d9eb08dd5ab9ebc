import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { mergeLeafStates } from '@boomerang/audience';
import { Clock } from '@boomerang/platform/subgraph';
import { LeafCatalog } from './leaf-catalog.js';
import { LeafHits } from './leaf-hits.js';
import { LeafStates, stateKey } from './leaf-states.js';
import { ProfileEvaluation } from './profile-evaluation.js';

/** What the audience engine does when profiles merges or erases a profile (in the sync consumer's transaction). */
@Injectable()
export class ProfileLifecycle {
  constructor(
    private readonly catalog: LeafCatalog,
    private readonly states: LeafStates,
    private readonly hits: LeafHits,
    private readonly evaluation: ProfileEvaluation,
    private readonly clock: Clock,
  ) {}

  /** GDPR erasure: every state and fact of the profile goes. */
  async erase(manager: EntityManager, projectId: string, profileId: string): Promise<void> {
    await this.catalog.lockShared(manager, projectId);
    await manager.query(`DELETE FROM leaf_state WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId]);
    await manager.query(`DELETE FROM profile_fact WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId]);
    await manager.query(`DELETE FROM segment_fill_event WHERE project_id = $1 AND profile_id = $2`, [projectId, profileId]);
  }

  /**
   * The merged profile's behaviour states fold into the survivor's (its hits were the survivor's
   * all along); its profile-leaf states and facts go (the survivor's ProfileChanged follows), and
   * the survivor is judged again for every segment (the caller has ended the merged profile's
   * dynamic memberships and moved its static ones).
   */
  async merge(manager: EntityManager, projectId: string, survivorId: string, mergedId: string): Promise<void> {
    await this.catalog.lockShared(manager, projectId);
    const catalog = await this.catalog.live(manager, projectId);
    const behaviourIds = [...catalog.leaves.values()].filter((leaf) => leaf.spec).map((leaf) => leaf.id);
    const mergedStates = await this.states.read(manager, projectId, behaviourIds, [mergedId]);
    const survivor = await this.states.lock(
      manager,
      projectId,
      [...mergedStates.values()].map((state) => ({ leafId: state.leafId, profileId: survivorId })),
    );
    const existing = [];
    const fresh = [];
    for (const state of mergedStates.values()) {
      const mine = survivor.get(stateKey(state.leafId, survivorId));
      if (mine) {
        mergeLeafStates(mine.state, state.state, catalog.leaves.get(state.leafId)!.spec!);
        existing.push(mine);
      } else fresh.push({ ...state, profileId: survivorId });
    }
    await manager.query(`DELETE FROM leaf_state WHERE project_id = $1 AND profile_id = $2`, [projectId, mergedId]);
    await manager.query(`DELETE FROM profile_fact WHERE project_id = $1 AND profile_id = $2`, [projectId, mergedId]);
    const now = this.clock.now();
    await this.hits.persist(manager, projectId, catalog.leaves, existing, fresh, now.getTime());
    await this.evaluation.evaluate(manager, projectId, catalog, new Map([[survivorId, { leafIds: 'all', cause: 'merge', eventId: null }]]), now);
  }
}
