import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { evaluateRule, leavesOf, MAX_SCANNED_LEAVES, referencedSegments, toLeaf, type EventRule, type Leaf, type Rule } from '@boomerang/audience';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';
import { LeafBackfill, LeafBackfillError } from './leaf-backfill.js';
import { LeafCatalog, type StoredLeaf } from './leaf-catalog.js';
import { LeafScanUnavailable, LeafScans, type LeafScan } from './leaf-scan.js';
import { MembershipChanges, type MembershipCause } from './membership-changes.js';

/** PostgreSQL's JIT spends seconds compiling these short queries (jsonb-free joins over indexes): off for them. */
const NO_JIT = `SET LOCAL jit = off`;

/** A scan answering up to this many profiles has its members joined to known_profile by index lookups. */
const PROBE_KNOWN_PROFILES_UP_TO = 200_000;

/**
 * A scan started before the segment was saved (`scanAhead`): of the event leaves, by key, that were
 * not stored yet or still being filled then.
 */
export interface ScanAhead {
  readonly keys: readonly string[];
  readonly answer: Promise<Omit<LeafScan, 'leaves'>>;
}

/** Longest wait between attempts while events does not answer. */
const RETRY_MAX_MS = 60_000;

/**
 * Batch evaluation: a segment's members over all history, computed in PostgreSQL from the leaf
 * states (one LEFT JOIN per leaf over the project's known profiles, the rule tree as the WHERE
 * clause), then written as the entries and exits against its current members. Also `estimate`,
 * the same question counted without saving anything but the leaves it needed.
 */
@Injectable()
export class SegmentComputation implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly retries = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly settling = new Set<Promise<void>>();
  private readonly settleTimers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** SEGMENTS_SCAN=false: new event leaves are filled before the members are computed (as before scans). */
  private readonly scanning = process.env.SEGMENTS_SCAN !== 'false';

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: LeafCatalog,
    private readonly backfill: LeafBackfill,
    private readonly scans: LeafScans,
    private readonly memberships: MembershipChanges,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Segments a crash or restart left computing are computed again (in the background: the API serves meanwhile). */
  onApplicationBootstrap(): void {
    void this.resumeAll().catch((error) => this.logger.error({ err: error }, 'resuming segment computations failed'));
  }

  /**
   * Brings a `computing` segment to `ready`: its leaves filled, then its members computed. A failure marks it `failed`.
   * When every leaf still to fill is an event leaf (not a sequence), the members come first from
   * events' one-pass scan of the raw events (`LeafScans`): the segment is `ready` as soon as they are
   * written, with `members_from_scan`; the per-profile states are filled afterwards in the
   * background (`settle`), and the members recomputed from them then. Returns how many members it
   * wrote when that is known without counting them (`recompute`), else null.
   */
  async compute(projectId: string, segmentId: string, ahead?: ScanAhead): Promise<number | null> {
    try {
      const leafIds = (await this.dataSource.query(
        `SELECT sl.leaf_id FROM segment s JOIN segment_leaf sl ON sl.segment_id = s.id AND sl.version = s.version WHERE s.project_id = $1 AND s.id = $2`,
        [projectId, segmentId],
      )) as { leaf_id: string }[];
      const ids = leafIds.map((row) => row.leaf_id);
      const started = performance.now();
      const leaves = await this.catalog.byIds(this.dataSource.manager, projectId, ids);
      const waiting = [...leaves.values()].filter((leaf) => leaf.status === 'backfilling');
      const toScan = waiting.filter((leaf) => leaf.leaf.kind === 'event');
      if (this.scanning && LeafScans.scannable(toScan)) {
        const scanned = await this.computeFromScan(projectId, segmentId, toScan, waiting.filter((leaf) => leaf.leaf.kind !== 'event'), ahead);
        if (scanned) {
          this.logger.info({ segmentId, computeMs: Math.round(performance.now() - started) }, 'segment computed from a scan; states fill in the background');
          this.settleLater(projectId, toScan.map((leaf) => leaf.id), 0);
          return scanned.size;
        }
      }
      await this.backfill.ensureReady(projectId, ids);
      const filled = performance.now();
      const size = await this.dataSource.transaction((manager) => this.recompute(manager, projectId, segmentId, 'edit'));
      this.logger.info({ segmentId, fillMs: Math.round(filled - started), computeMs: Math.round(performance.now() - filled) }, 'segment computed');
      return size;
    } catch (error) {
      if (error instanceof LeafBackfillError && error.retryable) {
        this.retryLater(projectId, segmentId, error);
        return null;
      }
      this.logger.error({ err: error, segmentId }, 'segment computation failed');
      await this.dataSource.query(`UPDATE segment SET status = 'failed', failure = $3 WHERE project_id = $1 AND id = $2 AND status = 'computing'`, [
        projectId,
        segmentId,
        `computation failed: ${(error as Error).message}`.slice(0, 500),
      ]);
      return null;
    }
  }

  /**
   * The members from a scan (its other new leaves, profile leaves, filled meanwhile), and how many
   * were written when known (`recompute`). False when events does not answer scans: the caller
   * fills the states first instead.
   */
  private async computeFromScan(
    projectId: string,
    segmentId: string,
    toScan: readonly StoredLeaf[],
    others: readonly StoredLeaf[],
    ahead?: ScanAhead,
  ): Promise<{ size: number | null } | false> {
    const byKey = new Map(toScan.map((leaf) => [leaf.leaf.key, leaf]));
    // The scan started before the segment was saved answers exactly these leaves, or is not used.
    const aheadFits = ahead && ahead.keys.length === toScan.length && ahead.keys.every((key) => byKey.has(key));
    const scanning = aheadFits
      ? ahead.answer.then((answer) => ({ leaves: ahead.keys.map((key) => byKey.get(key)!), ...answer }))
      : this.scans.scan(projectId, toScan, this.clock.now().getTime());
    // Not left unhandled while the other leaves fill.
    scanning.catch(() => undefined);
    if (others.length)
      await this.backfill.ensureReady(
        projectId,
        others.map((leaf) => leaf.id),
      );
    let scan: LeafScan;
    const started = performance.now();
    try {
      scan = await scanning;
    } catch (error) {
      if (!(error instanceof LeafScanUnavailable)) throw error;
      this.logger.warn({ segmentId }, 'events does not answer scans: the leaf states are filled first');
      return false;
    }
    const scanned = performance.now();
    const size = await this.dataSource.transaction((manager) => this.recompute(manager, projectId, segmentId, 'edit', scan));
    const written = performance.now();
    this.logger.info({ segmentId, rows: scan.rows.length, scanWaitMs: Math.round(scanned - started), writeMs: Math.round(written - scanned) }, 'scan answered and members written');
    // The entries' messages follow at once, in their own transaction (and before any later transition of the segment).
    this.inBackground(async () => {
      const published = await this.dataSource.transaction(async (manager) => {
        await this.rememberScannedMembers(manager, projectId, segmentId);
        return this.memberships.publishPendingEntries(manager, projectId, segmentId, 'edit', this.clock.now());
      });
      this.logger.info({ segmentId, published, afterMembersMs: Math.round(performance.now() - written) }, 'entries of the scanned members enqueued');
    });
    return { size };
  }

  /**
   * Starts the scan of a rule's event leaves before the segment that holds them is saved (the save
   * and the leaves' rows take a few round trips events need not wait for): those not stored yet or
   * still being filled, when they are scannable. `compute` uses it when they are still exactly the
   * leaves to fill; undefined when there is nothing to scan ahead.
   */
  async scanAhead(projectId: string, rule: Rule): Promise<ScanAhead | undefined> {
    // Rules naming segments are checked inside the save (a refused one would leave events scanning for nothing).
    if (!this.scanning || referencedSegments(rule).length > 0) return undefined;
    const events = leavesOf(rule).filter((leaf) => leaf.kind === 'event');
    if (events.length === 0) return undefined;
    const filled = (await this.dataSource.query(`SELECT key FROM audience_leaf WHERE project_id = $1 AND key = ANY($2::text[]) AND status = 'ready'`, [
      projectId,
      events.map((leaf) => leaf.key),
    ])) as { key: string }[];
    const ready = new Set(filled.map((row) => row.key));
    const toScan = events.filter((leaf) => !ready.has(leaf.key));
    if (toScan.length === 0 || toScan.length > MAX_SCANNED_LEAVES) return undefined;
    const answer = this.scans.scanRules(
      projectId,
      toScan.map((leaf) => leaf.rule as EventRule),
      this.clock.now().getTime(),
    );
    // Not left unhandled when it goes unused (the leaves changed meanwhile, the save failed).
    answer.catch(() => undefined);
    return { keys: toScan.map((leaf) => leaf.key), answer };
  }

  /**
   * Members a scan wrote that segments did not know of yet (their ProfileCreated still on its way):
   * known now, as the live path makes an event's profile known; a forgotten one stays forgotten.
   */
  private async rememberScannedMembers(manager: EntityManager, projectId: string, segmentId: string): Promise<void> {
    await manager.query(
      `INSERT INTO known_profile (project_id, profile_id)
       SELECT m.project_id, m.profile_id FROM segment_membership m WHERE m.project_id = $1 AND m.segment_id = $2
       ON CONFLICT (project_id, profile_id) DO NOTHING`,
      [projectId, segmentId],
    );
  }

  /**
   * Fills the states of leaves a scan answered (or waits for whoever fills them), then recomputes
   * from the states every segment whose members came from a scan and whose leaves are all filled
   * now. Events the live path saw meanwhile are in the states (claimed once each, as for any
   * backfill), so the members converge to what the states say; the transitions are written then
   * (cause `edit`). Tried again with backoff while events does not answer.
   */
  async settle(projectId: string, leafIds: readonly string[]): Promise<void> {
    const started = performance.now();
    await this.backfill.ensureReady(projectId, leafIds);
    const filled = performance.now();
    const rows = (await this.dataSource.query(
      `SELECT s.id FROM segment s
       WHERE s.project_id = $1 AND s.members_from_scan AND s.archived_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM segment_leaf sl JOIN audience_leaf l ON l.id = sl.leaf_id
                         WHERE sl.segment_id = s.id AND sl.version = s.version AND l.status <> 'ready')
       ORDER BY s.created_at`,
      [projectId],
    )) as { id: string }[];
    for (const row of rows) await this.dataSource.transaction((manager) => this.recompute(manager, projectId, row.id, 'edit'));
    this.logger.info({ projectId, segments: rows.length, fillMs: Math.round(filled - started), computeMs: Math.round(performance.now() - filled) }, 'scanned segments settled on their leaf states');
  }

  /** Runs `task` now, tracked like a settling (shutdown and `settled` wait for it); a failure is logged (what it left pending is taken up at the next start or computation). */
  private inBackground(task: () => Promise<void>): void {
    const running = task()
      .catch((error: unknown) => this.logger.error({ err: error }, 'background task of a segment computation failed'))
      .finally(() => this.settling.delete(running));
    this.settling.add(running);
  }

  private settleLater(projectId: string, leafIds: readonly string[], attempt: number): void {
    if (this.stopped) return;
    const timer = setTimeout(
      () => {
        this.settleTimers.delete(timer);
        const settling = this.settle(projectId, leafIds)
          .catch((error: unknown) => {
            this.logger.warn({ err: error, projectId, attempt }, 'settling scanned segments failed; trying again');
            if (!this.stopped) this.settleLater(projectId, leafIds, attempt + 1);
          })
          .finally(() => this.settling.delete(settling));
        this.settling.add(settling);
      },
      attempt === 0 ? 0 : Math.min(RETRY_MAX_MS, 1000 * 2 ** attempt),
    );
    timer.unref();
    this.settleTimers.add(timer);
  }

  /** Resolves once no settling is scheduled or running (tests, benches). */
  async settled(): Promise<void> {
    while (this.settling.size || this.settleTimers.size) {
      if (this.settling.size) await Promise.allSettled([...this.settling]);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** events is away: the segment stays `computing` (saying why) and is tried again, sooner first. */
  private retryLater(projectId: string, segmentId: string, error: LeafBackfillError): void {
    const attempt = (this.retries.get(segmentId) ?? 0) + 1;
    this.retries.set(segmentId, attempt);
    const delayMs = Math.min(RETRY_MAX_MS, 1000 * 2 ** attempt);
    this.logger.warn({ segmentId, attempt, delayMs }, `segment computation waits for events: ${error.message}`);
    void this.dataSource
      .query(`UPDATE segment SET failure = $3 WHERE project_id = $1 AND id = $2 AND status = 'computing'`, [projectId, segmentId, `waiting for events: ${error.message}`])
      .catch(() => undefined);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.compute(projectId, segmentId).then(() => this.retries.delete(segmentId));
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Settling in progress ends before the database goes (a settling not begun runs at the next start). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of [...this.timers, ...this.settleTimers]) clearTimeout(timer);
    this.settleTimers.clear();
    await Promise.allSettled([...this.settling]);
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** Every segment left `computing` (a crash, a restart): computed again; members from a scan whose states were not filled: settled. */
  async resumeAll(): Promise<void> {
    const rows = (await this.dataSource.query(`SELECT project_id, id FROM segment WHERE status = 'computing' AND archived_at IS NULL ORDER BY created_at`)) as {
      project_id: string;
      id: string;
    }[];
    for (const row of rows) await this.compute(row.project_id, row.id);
    const unsettled = (await this.dataSource.query(
      `SELECT s.project_id, array_agg(DISTINCT sl.leaf_id) AS leaf_ids FROM segment s
       JOIN segment_leaf sl ON sl.segment_id = s.id AND sl.version = s.version
       WHERE s.members_from_scan AND s.archived_at IS NULL GROUP BY s.project_id`,
    )) as { project_id: string; leaf_ids: string[] }[];
    for (const row of unsettled) this.settleLater(row.project_id, row.leaf_ids, 0);
    const pending = (await this.dataSource.query(`SELECT project_id, id FROM segment WHERE entries_pending`)) as { project_id: string; id: string }[];
    for (const row of pending)
      await this.dataSource.transaction((manager) => this.memberships.publishPendingEntries(manager, row.project_id, row.id, 'edit', this.clock.now()));
  }

  /**
   * Computes the segment's members under its current version and writes the difference with
   * its members now (cause: `edit` for a new version, `segment` when a segment it names changed
   * in bulk). Holds the project's lock, so the live path waits rather than races it. Returns the
   * members written when known without counting them (a segment that had none: its entries), else null.
   */
  async recompute(manager: EntityManager, projectId: string, segmentId: string, cause: MembershipCause, scan?: LeafScan): Promise<number | null> {
    await this.catalog.lockExclusive(manager, projectId);
    await manager.query(NO_JIT);
    const [segment] = (await manager.query(
      `SELECT s.version, v.rules, s.status, s.members_from_scan FROM segment s JOIN segment_version v ON v.segment_id = s.id AND v.version = s.version
       WHERE s.project_id = $1 AND s.id = $2 AND s.archived_at IS NULL FOR UPDATE OF s`,
      [projectId, segmentId],
    )) as { version: number; rules: Rule; status: string; members_from_scan: boolean }[];
    if (!segment) return null;
    // Entries a scan wrote without their messages: enqueued before any transition written here.
    await this.memberships.publishPendingEntries(manager, projectId, segmentId, 'edit', this.clock.now());
    const leaves = await this.storedLeaves(manager, projectId, segment.rules);
    // Leaves whose states are still being filled: read from the scan (under this lock, so a fill
    // that finished meanwhile is seen as such, and its settling runs after this commits).
    const fromScan = new Set([...leaves.values()].filter((leaf) => leaf.status !== 'ready').map((leaf) => leaf.id));
    if (fromScan.size && (!scan || [...fromScan].some((id) => !scan.leaves.some((leaf) => leaf.id === id)))) {
      // Not computable yet: a segment still `computing` is computed once its leaves are filled
      // (`compute`), members from an earlier scan stay until then (`settle`).
      return null;
    }
    const loading = performance.now();
    // Every leaf scanned: the scan's rows answer the tree in memory (no table of them to load and group).
    const scannedIds = fromScan.size ? scannedMembers(segment.rules, leaves, scan!, fromScan) : null;
    if (fromScan.size && !scannedIds) await this.scans.load(manager, scan!, fromScan);
    const params: unknown[] = [projectId];
    const query = scannedIds ? notForgottenAmong(scannedIds, params) : membersQuery(segment.rules, leaves, params, fromScan);
    const now = this.clock.now();
    const applying = performance.now();
    // A scan's few members (relative to the project) are looked up in known_profile one by one:
    // PostgreSQL would otherwise hash all of the project's profiles (a 1M-row scan) to join them.
    const probe = fromScan.size > 0 && scan!.rows.length <= PROBE_KNOWN_PROFILES_UP_TO;
    if (probe) await manager.query(`SET LOCAL enable_hashjoin = off`);
    if (probe) await manager.query(`SET LOCAL enable_mergejoin = off`);
    // Members from a scan recomputed from the filled states: the live events noted meanwhile are the transitions' causes.
    const settling = segment.members_from_scan && fromScan.size === 0;
    const applied = await this.memberships.applyComputed(manager, projectId, { id: segmentId, version: segment.version }, { sql: query, params }, cause, now, {
      deferEntries: fromScan.size > 0,
      fillEvents: settling,
    });
    if (fromScan.size === 0) await manager.query(`DELETE FROM segment_fill_event WHERE segment_id = $1`, [segmentId]);
    if (probe) await manager.query(`SET LOCAL enable_hashjoin = on`);
    if (probe) await manager.query(`SET LOCAL enable_mergejoin = on`);
    this.logger.debug({ segmentId, ...applied, fromScan: fromScan.size, loadMs: Math.round(applying - loading), applyMs: Math.round(performance.now() - applying) }, 'members computed');
    await manager.query(`UPDATE segment SET status = 'ready', failure = NULL, computed_at = $3, members_from_scan = $4 WHERE project_id = $1 AND id = $2`, [
      projectId,
      segmentId,
      now,
      fromScan.size > 0,
    ]);
    if (fromScan.size && !scannedIds) await manager.query(`DROP TABLE leaf_scan`);
    return applied.size;
  }

  /** How many profiles the rules would hold now: leaves made and filled as needed (a later save reuses them). */
  async estimate(projectId: string, rule: Rule): Promise<number> {
    const leaves = leavesOf(rule);
    let byKey = await this.catalog.existing(this.dataSource.manager, projectId, leaves);
    if (byKey.size < leaves.length || [...byKey.values()].some((leaf) => leaf.status !== 'ready')) {
      const stored = await this.dataSource.transaction((manager) => this.catalog.ensure(manager, projectId, leaves, this.clock.now().getTime()));
      await this.backfill.ensureReady(
        projectId,
        stored.map((leaf) => leaf.id),
      );
      byKey = new Map(stored.map((leaf) => [leaf.leaf.key, leaf]));
    }
    const params: unknown[] = [projectId];
    const query = membersQuery(rule, byKey, params);
    return this.dataSource.transaction(async (manager) => {
      await manager.query(NO_JIT);
      const [row] = (await manager.query(`SELECT count(*)::int AS size FROM (${query}) members`, params)) as { size: number }[];
      return row!.size;
    });
  }

  private async storedLeaves(manager: EntityManager, projectId: string, rule: Rule): Promise<Map<string, StoredLeaf>> {
    const keys = leavesOf(rule).map((leaf) => leaf.key);
    const rows = (await manager.query(`SELECT id FROM audience_leaf WHERE project_id = $1 AND key = ANY($2::text[])`, [projectId, keys])) as { id: string }[];
    const leaves = await this.catalog.byIds(
      manager,
      projectId,
      rows.map((row) => row.id),
    );
    return new Map([...leaves.values()].map((leaf) => [leaf.leaf.key, leaf]));
  }
}

/**
 * The members of a rule tree as one query. The profiles looked at: when the tree is false for a
 * profile with no state in any leaf and no membership it names (true of most audiences: "did X…"),
 * only the profiles that have one (an index range per leaf, not the project's every profile);
 * otherwise every known profile of the project.
 * - A tree that only ever needs leaves to be true ("did X", "in S", AND / OR of those) holds only
 *   for profiles some leaf holds for: one pass over the leaves' matched states (the partial
 *   `leaf_state_matched` index) and the named segments' members, grouped by profile into one truth
 *   per leaf, the tree as the HAVING clause.
 * - Otherwise each behaviour or profile leaf is a LEFT JOIN of its states (a profile without a
 *   state has the leaf's verdict for no hits), each membership leaf an EXISTS on that segment's members.
 */
export function membersQuery(rule: Rule, leavesByKey: ReadonlyMap<string, StoredLeaf>, params: unknown[], fromScan: ReadonlySet<string> = new Set()): string {
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const storedOf = (leaf: Leaf) => {
    const stored = leavesByKey.get(leaf.key);
    if (!stored) throw new Error(`leaf ${leaf.key} has no state`);
    return stored;
  };
  const withoutState = evaluateRule(rule, (leaf) => (leaf.kind === 'segment' ? false : leaf.kind === 'profile' ? false : (leavesByKey.get(leaf.key)?.matchesWithoutHits ?? false)));
  if (!withoutState && isMonotone(rule, leavesByKey)) {
    // Each leaf's truth: whether one of the profile's rows came from its states (or its segment's members).
    const sources = new Map<string, string>();
    const stateLeafIds: string[] = [];
    const namedSegments: string[] = [];
    const truth = (node: LeafNode): string => {
      const leaf = toLeaf(node);
      const source = leaf.kind === 'segment' ? leaf.rule.segmentId : storedOf(leaf).id;
      let column = sources.get(source);
      if (!column) {
        column = `t${sources.size}`;
        sources.set(source, column);
        (leaf.kind === 'segment' ? namedSegments : stateLeafIds).push(source);
      }
      return `c.${column}`;
    };
    const having = walkRule(rule, truth);
    const truths = [...sources].map(([source, column]) => `bool_or(source = ${param(source)}::uuid) AS ${column}`).join(', ');
    const stateIds = stateLeafIds.filter((id) => !fromScan.has(id));
    const scanIds = stateLeafIds.filter((id) => fromScan.has(id));
    const rows = [
      ...(stateIds.length ? [`SELECT profile_id, leaf_id AS source FROM leaf_state WHERE leaf_id = ANY(${param(stateIds)}::uuid[]) AND matched`] : []),
      ...(scanIds.length ? [`SELECT profile_id, leaf_id AS source FROM leaf_scan WHERE leaf_id = ANY(${param(scanIds)}::uuid[]) AND matched`] : []),
      ...(namedSegments.length ? [`SELECT profile_id, segment_id AS source FROM segment_membership WHERE segment_id = ANY(${param(namedSegments)}::uuid[])`] : []),
    ].join(' UNION ALL ');
    // Unless forgotten (erased, merged): checked in `known_profile_forgotten`, a few entries, not by
    // a lookup of each profile among the project's live ones (22,921 of them took an estimate from
    // ~110 ms to ~900 ms at load 12). A profile with states has events, so it exists, as for a
    // scan's members (`notForgottenAmong`).
    return `SELECT c.profile_id FROM (SELECT profile_id, ${truths} FROM (${rows}) found GROUP BY profile_id) c
            WHERE ${having}
              AND NOT EXISTS (SELECT 1 FROM known_profile kp WHERE kp.project_id = $1 AND kp.profile_id = c.profile_id AND kp.forgotten_at IS NOT NULL)`;
  }
  const joins: string[] = [];
  const aliases = new Map<string, string>();
  const stateLeafIds: string[] = [];
  const namedSegments: string[] = [];
  const leafSql = (node: LeafNode): string => {
    const leaf = toLeaf(node);
    if (leaf.kind === 'segment') {
      namedSegments.push(leaf.rule.segmentId);
      const exists = `EXISTS (SELECT 1 FROM segment_membership m WHERE m.segment_id = ${param(leaf.rule.segmentId)} AND m.profile_id = kp.profile_id)`;
      return leaf.rule.member ? exists : `NOT ${exists}`;
    }
    const stored = storedOf(leaf);
    let alias = aliases.get(stored.id);
    if (!alias) {
      alias = `l${aliases.size}`;
      aliases.set(stored.id, alias);
      stateLeafIds.push(stored.id);
      joins.push(`LEFT JOIN ${fromScan.has(stored.id) ? 'leaf_scan' : 'leaf_state'} ${alias} ON ${alias}.leaf_id = ${param(stored.id)} AND ${alias}.profile_id = kp.profile_id`);
    }
    return `COALESCE(${alias}.matched, ${stored.matchesWithoutHits ? 'true' : 'false'})`;
  };
  const where = walkRule(rule, leafSql);
  if (withoutState) return `SELECT kp.profile_id FROM known_profile kp ${joins.join(' ')} WHERE kp.project_id = $1 AND kp.forgotten_at IS NULL AND ${where}`;
  const stateIds = stateLeafIds.filter((id) => !fromScan.has(id));
  const scanIds = stateLeafIds.filter((id) => fromScan.has(id));
  const candidates = [
    ...(stateIds.length ? [`SELECT DISTINCT profile_id FROM leaf_state WHERE leaf_id = ANY(${param(stateIds)}::uuid[])`] : []),
    ...(scanIds.length ? [`SELECT DISTINCT profile_id FROM leaf_scan WHERE leaf_id = ANY(${param(scanIds)}::uuid[])`] : []),
    ...(namedSegments.length ? [`SELECT DISTINCT profile_id FROM segment_membership WHERE segment_id = ANY(${param(namedSegments)}::uuid[])`] : []),
  ].join(' UNION ');
  return `SELECT kp.profile_id FROM (${candidates}) candidate
          JOIN known_profile kp ON kp.project_id = $1 AND kp.profile_id = candidate.profile_id AND kp.forgotten_at IS NULL
          ${joins.join(' ')} WHERE ${where}`;
}

/**
 * The profiles a scan's rows make members when every leaf of the tree was scanned (the tree
 * evaluated once per distinct mask), in the rows' profile id order; null when some leaf was not
 * scanned, or when the tree holds for a profile without a row (every known profile is then a
 * candidate: `membersQuery`).
 */
export function scannedMembers(rule: Rule, leavesByKey: ReadonlyMap<string, StoredLeaf>, scan: LeafScan, fromScan: ReadonlySet<string>): string[] | null {
  const bits = new Map(scan.leaves.map((leaf, bit) => [leaf.leaf.key, 1 << bit]));
  for (const leaf of leavesOf(rule)) {
    const stored = leavesByKey.get(leaf.key);
    if (!stored || !fromScan.has(stored.id) || !bits.has(leaf.key)) return null;
  }
  const withoutHits = scan.leaves.reduce((mask, leaf, bit) => (leaf.matchesWithoutHits ? mask | (1 << bit) : mask), 0);
  const verdicts = new Map<number, boolean>();
  const holds = (mask: number) => {
    let verdict = verdicts.get(mask);
    if (verdict === undefined) {
      verdict = evaluateRule(rule, (leaf) => (mask & bits.get(leaf.key)!) !== 0);
      verdicts.set(mask, verdict);
    }
    return verdict;
  };
  if (holds(withoutHits)) return null;
  return scan.rows.filter((row) => holds(row.mask)).map((row) => row.profileId);
}

/**
 * The members query over ids a scan decided, in their order: those not forgotten (erased, merged;
 * `known_profile_forgotten`, a few entries, rather than a lookup each among the project's 1M live
 * profiles). A profile with events is known, as the live path holds (it remembers every event's
 * profile): the few not remembered yet are remembered after (`rememberScannedMembers`).
 */
function notForgottenAmong(profileIds: readonly string[], params: unknown[]): string {
  // The array's literal joined here: node-postgres quotes and escapes each of tens of thousands of ids (canonical uuids need neither).
  params.push(`{${profileIds.join(',')}}`);
  return `SELECT u.profile_id FROM unnest($${params.length}::uuid[]) AS u(profile_id)
          WHERE NOT EXISTS (SELECT 1 FROM known_profile kp WHERE kp.project_id = $1 AND kp.profile_id = u.profile_id AND kp.forgotten_at IS NOT NULL)`;
}

type LeafNode = Exclude<Rule, { and: Rule[] } | { or: Rule[] } | { not: Rule }>;

/** The tree as an SQL boolean expression, each leaf written by `leafSql`. */
function walkRule(node: Rule, leafSql: (leaf: LeafNode) => string): string {
  if ('and' in node) return `(${node.and.map((child) => walkRule(child, leafSql)).join(' AND ')})`;
  if ('or' in node) return `(${node.or.map((child) => walkRule(child, leafSql)).join(' OR ')})`;
  if ('not' in node) return `(NOT ${walkRule(node.not, leafSql)})`;
  return leafSql(node);
}

/** No NOT, no "not in segment", no leaf that holds without hits ("at most 2 times"). */
function isMonotone(rule: Rule, leavesByKey: ReadonlyMap<string, StoredLeaf>): boolean {
  if ('and' in rule) return rule.and.every((child) => isMonotone(child, leavesByKey));
  if ('or' in rule) return rule.or.every((child) => isMonotone(child, leavesByKey));
  if ('not' in rule) return false;
  const leaf = toLeaf(rule);
  if (leaf.kind === 'segment') return leaf.rule.member;
  return !(leavesByKey.get(leaf.key)?.matchesWithoutHits ?? false);
}
