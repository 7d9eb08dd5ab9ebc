import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { ListProfileSnapshots, MAX_PROFILE_SNAPSHOTS_PER_PAGE, ProfileChanged, type ProfileSnapshot } from '@boomerang/contracts';
import { matchesProfileRule, type ProfileRule } from '@boomerang/audience';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, KnownProfiles, LOGGER, MESSAGING, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { LeafCatalog } from './leaf-catalog.js';
import { noteChange, type LeafChanges } from './leaf-hits.js';
import { LeafStates, newStoredState, stateKey } from './leaf-states.js';
import { ProfileEvaluation, type ProfileChange } from './profile-evaluation.js';

export const PROFILE_CHANGED_DURABLE = 'segments-profile-changed';

/**
 * What segments knows of each profile (`profile_fact`: custom properties and built-in
 * attributes, never contact details), kept from profiles' ProfileChanged snapshots (the newest
 * `updatedAt` wins), and the profile leaves judged on it: a changed profile is judged again for
 * every profile leaf of its project, and the segments whose verdict can change re-evaluated.
 * A new projection is filled once from profiles (ListProfileSnapshots, resumable).
 */
@Injectable()
export class ProfileFacts implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly abort = new AbortController();
  private backfilling?: Promise<void>;

  constructor(
    lifecycle: MessagingLifecycle,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    private readonly catalog: LeafCatalog,
    private readonly states: LeafStates,
    private readonly evaluation: ProfileEvaluation,
    private readonly knownProfiles: KnownProfiles,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    lifecycle.register({
      durable: PROFILE_CHANGED_DURABLE,
      contract: ProfileChanged,
      handle: (body, { manager }) => this.record(manager, body.projectId, [body]),
      handleBatch: async (messages, manager) => {
        const byProject = new Map<string, ProfileSnapshot[]>();
        for (const { body } of messages) byProject.set(body.projectId, [...(byProject.get(body.projectId) ?? []), body]);
        for (const [projectId, snapshots] of byProject) await this.record(manager, projectId, snapshots);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.backfilling = this.backfill();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.backfilling;
  }

  /** Stores the newest snapshot of each profile and re-judges the project's profile leaves for those that changed. */
  async record(manager: EntityManager, projectId: string, snapshots: readonly ProfileSnapshot[]): Promise<void> {
    const newest = new Map<string, ProfileSnapshot>();
    for (const snapshot of snapshots) {
      const known = newest.get(snapshot.profileId);
      if (!known || Date.parse(snapshot.updatedAt) >= Date.parse(known.updatedAt)) newest.set(snapshot.profileId, snapshot);
    }
    await this.catalog.lockShared(manager, projectId);
    const list = [...newest.values()];
    const stored = (await manager.query(
      `INSERT INTO profile_fact (project_id, profile_id, properties, attributes, updated_at)
       SELECT $1, * FROM unnest($2::uuid[], $3::jsonb[], $4::jsonb[], $5::timestamptz[])
       ON CONFLICT (project_id, profile_id) DO UPDATE SET properties = EXCLUDED.properties, attributes = EXCLUDED.attributes, updated_at = EXCLUDED.updated_at
       WHERE profile_fact.updated_at <= EXCLUDED.updated_at
       RETURNING profile_id`,
      [projectId, list.map((s) => s.profileId), list.map((s) => JSON.stringify(s.properties)), list.map((s) => JSON.stringify(s.attributes)), list.map((s) => s.updatedAt)],
    )) as { profile_id: string }[];
    const changedProfiles = stored.map((row) => newest.get(row.profile_id)!);
    if (changedProfiles.length === 0) return;
    const occurredAt = this.clock.now().toISOString();
    await this.knownProfiles.remember(
      manager,
      changedProfiles.map((s) => ({ projectId, profileId: s.profileId, occurredAt })),
    );
    const catalog = await this.catalog.live(manager, projectId);
    const profileLeaves = [...catalog.leaves.values()].filter((leaf) => leaf.leaf.kind === 'profile');
    if (profileLeaves.length === 0) return;
    const current = await this.states.read(
      manager,
      projectId,
      profileLeaves.map((leaf) => leaf.id),
      changedProfiles.map((s) => s.profileId),
    );
    const changes: LeafChanges = new Map();
    const add = [];
    const remove: { leafId: string; profileId: string }[] = [];
    for (const snapshot of changedProfiles)
      for (const leaf of profileLeaves) {
        const matched = matchesProfileRule(leaf.leaf.rule as ProfileRule, snapshot);
        const was = current.get(stateKey(leaf.id, snapshot.profileId))?.matched ?? false;
        if (matched === was) continue;
        noteChange(changes, snapshot.profileId, leaf.id, null);
        if (matched) add.push(newStoredState(leaf.id, snapshot.profileId, true));
        else remove.push({ leafId: leaf.id, profileId: snapshot.profileId });
      }
    await this.states.save(manager, projectId, add);
    for (const pair of remove) await this.states.remove(manager, projectId, [pair.leafId], [pair.profileId]);
    const evaluations = new Map<string, ProfileChange>([...changes].map(([profileId, change]) => [profileId, { leafIds: change.leafIds, cause: 'profile', eventId: null }]));
    await this.evaluation.evaluate(manager, projectId, catalog, evaluations, this.clock.now());
  }

  /** Fills a new projection once, page by page, resuming after a restart; retried while profiles does not answer. */
  private async backfill(): Promise<void> {
    for (let delayMs = 500; !this.abort.signal.aborted; delayMs = Math.min(delayMs * 2, 30_000)) {
      try {
        const [state] = (await this.dataSource.query(`SELECT after_profile_id, completed_at FROM profile_fact_backfill`)) as {
          after_profile_id: string | null;
          completed_at: Date | null;
        }[];
        if (!state || state.completed_at) return;
        let after = state.after_profile_id;
        while (!this.abort.signal.aborted) {
          const page = await callRpc(this.messaging.nc, this.messaging.subjects, ListProfileSnapshots, { after, limit: MAX_PROFILE_SNAPSHOTS_PER_PAGE }, 10_000);
          await this.dataSource.transaction(async (manager) => {
            const byProject = new Map<string, ProfileSnapshot[]>();
            for (const { projectId, ...snapshot } of page.profiles) byProject.set(projectId, [...(byProject.get(projectId) ?? []), snapshot]);
            for (const [projectId, snapshots] of byProject) await this.record(manager, projectId, snapshots);
            await manager.query(`UPDATE profile_fact_backfill SET after_profile_id = $1, completed_at = CASE WHEN $2 THEN now() END`, [page.next, page.next === null]);
          });
          if (page.next === null) return;
          after = page.next;
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'profile facts backfill: profiles did not answer; retrying');
        await sleep(delayMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }
}
