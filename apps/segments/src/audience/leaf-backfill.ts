import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createInbox } from '@nats-io/transport-node';
import { DataSource, type EntityManager } from 'typeorm';
import type { z } from 'zod';
import { BackfillLeafHits, LeafBackfillDoneSchema, LeafHitSpecSchema, STREAM_END_HEADER } from '@boomerang/contracts';
import {
  ATTRIBUTE_TYPES,
  backfillSince,
  canonicalJson,
  conditionSql,
  decodeLeafHitRows,
  type BehaviourLeaf,
  type ProfileRule,
} from '@boomerang/audience';
import type { Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER, MESSAGING } from '@boomerang/platform/subgraph';
import type { StoredLeaf } from './leaf-catalog.js';
import { LeafCatalog } from './leaf-catalog.js';
import { LeafHits, type LeafHit } from './leaf-hits.js';
import type { StoredLeafState } from './leaf-states.js';

/** How long events may stay silent during a backfill before it is given up (and retried later). */
const BACKFILL_SILENCE_MS = 60_000;

export class LeafBackfillError extends Error {
  override name = 'LeafBackfillError';
  /** events did not answer (down, restarting): worth trying again later, unlike a refusal. */
  constructor(
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/**
 * Fills the state of new leaves once: behaviour leaves from `events` (BackfillLeafHits, a stream
 * of binary rows read from its partitions), profile leaves from segments' own profile facts.
 * Each leaf is filled in one transaction that holds its row locked, so two segments processes
 * never fill the same leaf twice, and a crash leaves it `backfilling` to be filled again.
 */
@Injectable()
export class LeafBackfill {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    private readonly catalog: LeafCatalog,
    private readonly hits: LeafHits,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Makes every leaf of `leafIds` ready (those already ready are left alone). */
  async ensureReady(projectId: string, leafIds: readonly string[]): Promise<void> {
    const leaves = await this.catalog.byIds(this.dataSource.manager, projectId, leafIds);
    const waiting = [...leaves.values()].filter((leaf) => leaf.status === 'backfilling');
    const behaviour = waiting.filter((leaf) => leaf.spec);
    for (const leaf of waiting.filter((leaf) => leaf.leaf.kind === 'profile')) await this.fillProfileLeaf(projectId, leaf);
    if (behaviour.length) await this.fillBehaviourLeaves(projectId, behaviour);
  }

  private async fillProfileLeaf(projectId: string, leaf: StoredLeaf): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (!(await this.lockStillBackfilling(manager, [leaf.id])).length) return;
      const rule = leaf.leaf.rule as ProfileRule;
      const params: unknown[] = [projectId, leaf.id];
      const where =
        rule.attribute !== undefined
          ? conditionSql({ ...rule, property: rule.attribute, type: ATTRIBUTE_TYPES[rule.attribute] }, 'f.attributes', params)
          : conditionSql({ ...rule, property: rule.property! }, 'f.properties', params);
      await manager.query(
        `INSERT INTO leaf_state (project_id, leaf_id, profile_id, matched)
         SELECT $1, $2, f.profile_id, true FROM profile_fact f WHERE f.project_id = $1 AND (${where})
         ON CONFLICT (leaf_id, profile_id) DO UPDATE SET matched = true`,
        params,
      );
      await manager.query(`UPDATE audience_leaf SET status = 'ready' WHERE id = $1`, [leaf.id]);
    });
  }

  private async fillBehaviourLeaves(projectId: string, leaves: readonly StoredLeaf[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const still = new Set(await this.lockStillBackfilling(manager, leaves.map((leaf) => leaf.id)));
      const todo = leaves.filter((leaf) => still.has(leaf.id));
      if (todo.length === 0) return;
      const nowMs = this.clock.now().getTime();
      const byId = new Map(todo.map((leaf) => [leaf.id, leaf]));
      const groups = requestGroups(todo, nowMs);
      const byIndex = new Map(groups.map((group, index) => [index, group.leaves]));
      const request = { projectId, recentFrom: new Date(Math.min(...todo.map((leaf) => leaf.recentFromMs!))).toISOString(), leaves: groups.map((group) => group.spec) };
      const started = performance.now();
      let writingMs = 0;
      const done = await this.stream(BackfillLeafHits.request.parse(request), async (rows) => {
        const writing = performance.now();
        const summaries: StoredLeafState[] = [];
        const recent: LeafHit[] = [];
        for (const row of rows) {
          const leaves = byIndex.get(row.leaf);
          if (!leaves) throw new LeafBackfillError(`events answered for leaf #${row.leaf}, which was not asked for`);
          for (const leaf of leaves) {
            if (row.kind === 'recent') {
              recent.push({ leafId: leaf.id, profileId: row.profileId, eventId: row.eventId, timeMs: row.time, value: row.value });
              continue;
            }
            const state = { n: row.n, vn: row.vn, sum: row.sum, min: row.min, max: row.max, first: row.first, last: row.last, times: [...row.times], vals: [...row.vals] };
            summaries.push({ leafId: leaf.id, profileId: row.profileId, state, matched: leaf.matchesWithoutHits, recheckAt: null });
          }
        }
        // States the live path made while the leaf was backfilling are merged with these, not replaced.
        await this.hits.persist(manager, projectId, byId, [], summaries, nowMs);
        if (recent.length) await this.hits.record(manager, projectId, byId, recent, nowMs);
        writingMs += performance.now() - writing;
      });
      this.logger.info(
        { leaves: todo.length, specs: groups.length, rows: done.rows, totalMs: Math.round(performance.now() - started), writingMs: Math.round(writingMs) },
        'leaves backfilled from events',
      );
      await manager.query(`UPDATE audience_leaf SET status = 'ready', snapshot_at = $2 WHERE id = ANY($1::uuid[])`, [todo.map((leaf) => leaf.id), done.snapshotAt]);
    });
  }

  /** Sends the request and hands each chunk of rows to `onRows`, in order; resolves with the final message. */
  private async stream(
    request: unknown,
    onRows: (rows: ReturnType<typeof decodeLeafHitRows>) => Promise<void>,
  ): Promise<{ rows: number; snapshotAt: string }> {
    const { nc, subjects } = this.messaging;
    const inbox = createInbox(`${subjects.prefix}_INBOX`);
    const subscription = nc.subscribe(inbox);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => subscription.unsubscribe(), BACKFILL_SILENCE_MS);
    };
    try {
      arm();
      nc.publish(subjects.request(BackfillLeafHits.name), JSON.stringify(request), { reply: inbox });
      for await (const message of subscription) {
        arm();
        if (message.headers?.hasError && message.headers.code === 503) throw new LeafBackfillError('events is not answering backfills (no responders)', true);
        if (message.headers?.get(STREAM_END_HEADER)) {
          const done = LeafBackfillDoneSchema.parse(message.json());
          if (!done.ok) throw new LeafBackfillError(`events could not backfill: ${done.error}`);
          return done;
        }
        await onRows(decodeLeafHitRows(message.data));
      }
      throw new LeafBackfillError(`events did not answer the backfill within ${BACKFILL_SILENCE_MS / 1000} s`, true);
    } finally {
      clearTimeout(timer);
      subscription.unsubscribe();
    }
  }

  private async lockStillBackfilling(manager: EntityManager, leafIds: readonly string[]): Promise<string[]> {
    // NO KEY UPDATE: two fills of a leaf exclude each other, but the live path's claims
    // (leaf_recent_hit's foreign key takes KEY SHARE on the leaf) do not wait for the whole fill.
    const rows = (await manager.query(`SELECT id FROM audience_leaf WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [leafIds])) as { id: string }[];
    const locked = rows.map((row) => row.id);
    const still = (await manager.query(`SELECT id FROM audience_leaf WHERE id = ANY($1::uuid[]) AND status = 'backfilling'`, [locked])) as { id: string }[];
    return still.map((row) => row.id);
  }
}

/**
 * Leaves that read the same events (same steps, window and kept hits; the value property of
 * whichever has one) share one spec of the request, so events scans them once: "count of Charged
 * in 90 days" and "sum of Charged.Amount in 90 days" are one query.
 */
function requestGroups(leaves: readonly StoredLeaf[], nowMs: number): { spec: z.infer<typeof LeafHitSpecSchema>; leaves: StoredLeaf[] }[] {
  const groups = new Map<string, { spec: z.infer<typeof LeafHitSpecSchema>; leaves: StoredLeaf[] }>();
  for (const leaf of leaves) {
    const since = backfillSince(leaf.leaf as BehaviourLeaf, nowMs);
    const spec = leaf.spec!;
    const base = {
      steps: spec.steps.map((step) => ({ name: step.name, ...(step.where ? { where: [...step.where] } : {}) })),
      keepsHits: spec.keepsHits,
      ...(spec.from !== undefined ? { from: spec.from } : {}),
      ...(spec.to !== undefined ? { to: spec.to } : {}),
      ...(since !== undefined ? { since: new Date(since).toISOString() } : {}),
    };
    const key = canonicalJson(base);
    const group = groups.get(key);
    if (group && (group.spec.valueProperty === undefined || spec.valueProperty === undefined || group.spec.valueProperty === spec.valueProperty)) {
      group.leaves.push(leaf);
      if (spec.valueProperty !== undefined) group.spec.valueProperty = spec.valueProperty;
      continue;
    }
    groups.set(group ? `${key}:${leaf.id}` : key, { spec: { ...base, ...(spec.valueProperty !== undefined ? { valueProperty: spec.valueProperty } : {}) }, leaves: [leaf] });
  }
  return [...groups.values()];
}
