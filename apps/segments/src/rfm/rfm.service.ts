import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { leavesOf, validateRule, type Leaf } from '@boomerang/audience';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, isUuid, LOGGER } from '@boomerang/platform/subgraph';
import { LeafBackfill } from '../audience/leaf-backfill.js';
import { LeafCatalog } from '../audience/leaf-catalog.js';
import { MembershipChanges, type MembershipTransition } from '../audience/membership-changes.js';
import { SegmentComputation } from '../audience/segment-computation.js';
import { segmentFromRow, type SegmentEntity, type SegmentRow } from '../segments/segment.entity.js';
import { StaticSegments } from '../segments/static-segments.js';
import { canonicalTimeZone, nextDailyRun } from './daily-run.js';
import type { ConfigureRfmInput } from './dto/configure-rfm.input.js';
import { fmScore, RFM_CLASSES, type RfmClassKey } from './rfm-classes.js';
import { RfmScores } from './rfm-scores.js';
import { RfmError, RfmErrorCode } from './rfm.errors.js';
import type { ProfileRfm, Rfm, RfmClass, RfmQuintiles } from './rfm.model.js';

export const RFM_DEFAULTS = { windowDays: 365, timeZone: 'UTC', recomputeAt: '03:00' } as const;
/** Longest wait before trying a failed computation again. */
const RETRY_MAX_MS = 3_600_000;

interface ConfigRow {
  project_id: string;
  purchase_event: string;
  amount_property: string;
  window_days: number;
  time_zone: string;
  recompute_at: string;
  next_run_at: Date;
  computed_at: Date | null;
  failure: string | null;
  attempts: number;
  scored: number;
  quintiles: RfmQuintiles | null;
}

/**
 * The project's RFM family: ten STATIC segments, one per class, whose members this service alone
 * writes. A computation scores every purchaser of the window from the purchase leaf's state (a
 * behaviour leaf of the audience engine, backfilled once from events and kept live), and writes
 * each change of class as an exit from the old class's segment and an entry into the new one
 * (cause `rfm`), then re-evaluates the dynamic segments that name a family segment.
 */
@Injectable()
export class RfmService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: LeafCatalog,
    private readonly backfill: LeafBackfill,
    private readonly memberships: MembershipChanges,
    private readonly computation: SegmentComputation,
    private readonly scores: RfmScores,
    private readonly statics: StaticSegments,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Saves the configuration, makes the family's segments, and computes it (the answer says whether that worked). */
  async configure(projectId: string, input: ConfigureRfmInput): Promise<Rfm> {
    const timeZone = await this.validTimeZone(input.timeZone ?? RFM_DEFAULTS.timeZone);
    const config = {
      purchaseEvent: input.purchaseEvent,
      amountProperty: input.amountProperty,
      windowDays: input.windowDays ?? RFM_DEFAULTS.windowDays,
      timeZone,
      recomputeAt: input.recomputeAt ?? RFM_DEFAULTS.recomputeAt,
    };
    // The leaf goes through the audience language's own validation too (the input checks should have caught everything).
    const validation = validateRule(purchaseRule(config), 'rule');
    if (!validation.ok) {
      const [issue] = validation.issues;
      const field = LEAF_FIELDS.find(([path]) => issue!.path.startsWith(path))?.[1] ?? 'input';
      throw new RfmError(RfmErrorCode.InvalidConfiguration, `Invalid value for ${field}: ${issue!.message}`, field);
    }
    const now = this.clock.now();
    await this.dataSource.transaction(async (manager) => {
      // Due now: a crash before the computation below leaves it to the schedule.
      await manager.query(
        `INSERT INTO rfm_config (project_id, purchase_event, amount_property, window_days, time_zone, recompute_at, next_run_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)
         ON CONFLICT (project_id) DO UPDATE SET purchase_event = $2, amount_property = $3, window_days = $4, time_zone = $5, recompute_at = $6,
           next_run_at = $7, attempts = 0, updated_at = $7`,
        [projectId, config.purchaseEvent, config.amountProperty, config.windowDays, config.timeZone, config.recomputeAt, now],
      );
      await this.ensureFamily(manager, projectId, now);
    });
    await this.recompute(projectId);
    return (await this.view(projectId))!;
  }

  /**
   * Computes the family now: fills the purchase leaf if new, scores, writes the transitions. When
   * `onlyIfDue`, a project another process computed meanwhile is left alone. A failure is
   * recorded on the configuration and tried again later by the schedule, sooner first.
   */
  async recompute(projectId: string, onlyIfDue = false): Promise<void> {
    const config = await this.configRow(this.dataSource.manager, projectId);
    if (!config) throw new RfmError(RfmErrorCode.NotConfigured, 'RFM is not configured in this project; call configureRfm first', 'projectId');
    try {
      const leaf = purchaseLeaf(config);
      const [stored] = await this.dataSource.transaction((manager) => this.catalog.ensure(manager, projectId, [leaf], this.clock.now().getTime()));
      await this.backfill.ensureReady(projectId, [stored!.id]);
      await this.dataSource.transaction(async (manager) => {
        const locked = await this.configRow(manager, projectId, true);
        if (!locked || (onlyIfDue && locked.next_run_at.getTime() > this.clock.now().getTime())) return;
        // The configuration changed while the leaf filled: its own configureRfm (or the schedule) computes it.
        if (purchaseLeaf(locked).key !== leaf.key) return;
        await this.compute(manager, locked, stored!.id);
      });
    } catch (error) {
      await this.recordFailure(projectId, config.attempts + 1, error as Error);
    }
  }

  private async compute(manager: EntityManager, config: ConfigRow, leafId: string): Promise<void> {
    const projectId = config.project_id;
    const now = this.clock.now();
    const [leaf] = (await manager.query(`SELECT status FROM audience_leaf WHERE id = $1`, [leafId])) as { status: string }[];
    if (leaf?.status !== 'ready') throw new Error('the purchase leaf is not filled yet');
    const family = await this.ensureFamily(manager, projectId, now);
    const scored = await this.scores.score(manager, { projectId, leafId, windowDays: config.window_days, timeZone: config.time_zone, now });
    const { entered, exited } = await this.scores.differences(manager, projectId);
    const versions = new Map(family.map((segment) => [segment.id, segment.version]));
    const transition =
      (change: 'entered' | 'exited') =>
      (member: { profileId: string; segmentId: string }): MembershipTransition => ({
        segmentId: member.segmentId,
        version: versions.get(member.segmentId) ?? 1,
        profileId: member.profileId,
        change,
        cause: 'rfm',
        eventId: null,
      });
    // Exits first: a profile changing class leaves its old class before it enters the new one.
    await this.memberships.apply(manager, projectId, [...exited.map(transition('exited')), ...entered.map(transition('entered'))], now);
    await this.scores.save(manager, projectId);
    const quintiles = await this.scores.quintiles(manager);
    await this.scores.done(manager);
    await manager.query(
      `UPDATE rfm_config SET computed_at = $2, scored = $3, quintiles = $4, failure = NULL, attempts = 0, next_run_at = $5 WHERE project_id = $1`,
      [projectId, now, scored, JSON.stringify(quintiles), nextDailyRun(now, config.recompute_at, config.time_zone)],
    );
    const changed = new Set([...entered, ...exited].map((member) => member.segmentId));
    if (changed.size) await this.recomputeDependents(manager, projectId, changed);
    this.logger.info({ projectId, scored, entered: entered.length, exited: exited.length }, 'rfm computed');
  }

  /** Dynamic segments that name a changed segment are computed again (and those naming them, in turn). */
  private async recomputeDependents(manager: EntityManager, projectId: string, changed: Set<string>): Promise<void> {
    let frontier = [...changed];
    for (let depth = 0; frontier.length && depth < 20; depth++) {
      const dependents = (await manager.query(
        `SELECT DISTINCT s.id FROM segment s
         JOIN segment_leaf sl ON sl.segment_id = s.id AND sl.version = s.version
         JOIN audience_leaf l ON l.id = sl.leaf_id AND l.kind = 'segment'
         WHERE s.project_id = $1 AND s.kind = 'dynamic' AND s.archived_at IS NULL AND s.status = 'ready' AND l.definition->>'segmentId' = ANY($2::text[])
         ORDER BY s.id`,
        [projectId, frontier],
      )) as { id: string }[];
      for (const dependent of dependents) await this.computation.recompute(manager, projectId, dependent.id, 'segment');
      frontier = dependents.map((row) => row.id);
    }
  }

  private async recordFailure(projectId: string, attempts: number, error: Error): Promise<void> {
    const delayMs = Math.min(RETRY_MAX_MS, 60_000 * 2 ** (attempts - 1));
    this.logger.warn({ err: error, projectId, attempts, delayMs }, 'rfm computation failed; it will be tried again');
    await this.dataSource.query(`UPDATE rfm_config SET failure = $2, attempts = $3, next_run_at = $4 WHERE project_id = $1`, [
      projectId,
      error.message.slice(0, 500),
      attempts,
      new Date(this.clock.now().getTime() + delayMs),
    ]);
  }

  /** The family's segments, one per class, made (or made again, when one was archived) as needed. */
  private async ensureFamily(manager: EntityManager, projectId: string, now: Date): Promise<SegmentEntity[]> {
    const rows = (await manager.query(
      `SELECT family.class, s.* FROM rfm_class_segment family JOIN segment s ON s.project_id = family.project_id AND s.id = family.segment_id
       WHERE family.project_id = $1 AND s.archived_at IS NULL`,
      [projectId],
    )) as (SegmentRow & { class: RfmClassKey })[];
    const found = new Map(rows.map((row) => [row.class, segmentFromRow(row)]));
    for (const entry of RFM_CLASSES) {
      if (found.has(entry.key)) continue;
      const segment = await this.statics.create(manager, projectId, { name: entry.name, description: describe(entry) }, now);
      await manager.query(
        `INSERT INTO rfm_class_segment (project_id, class, segment_id) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, class) DO UPDATE SET segment_id = EXCLUDED.segment_id`,
        [projectId, entry.key, segment.id],
      );
      found.set(entry.key, segment);
    }
    return [...found.values()];
  }

  /** The configuration, the last computation and each class with its segment and size; null when not configured. */
  async view(projectId: string): Promise<Rfm | null> {
    const config = await this.configRow(this.dataSource.manager, projectId);
    if (!config) return null;
    const rows = (await this.dataSource.query(
      `SELECT family.class, s.*, (SELECT count(*)::int FROM segment_membership m WHERE m.segment_id = s.id) AS size
       FROM rfm_class_segment family JOIN segment s ON s.project_id = family.project_id AND s.id = family.segment_id
       WHERE family.project_id = $1`,
      [projectId],
    )) as (SegmentRow & { class: RfmClassKey; size: number })[];
    const byClass = new Map(rows.map((row) => [row.class, row]));
    const recency = config.quintiles?.recencyDays ?? [];
    return {
      purchaseEvent: config.purchase_event,
      amountProperty: config.amount_property,
      windowDays: config.window_days,
      timeZone: config.time_zone,
      recomputeAt: config.recompute_at,
      computedAt: config.computed_at,
      nextRecomputeAt: config.next_run_at,
      failure: config.failure,
      profilesScored: config.scored,
      quintiles: config.quintiles,
      classes: RFM_CLASSES.flatMap((entry) => {
        const row = byClass.get(entry.key);
        if (!row) return [];
        const covered = recency.filter((quintile) => quintile.score >= entry.r[0] && quintile.score <= entry.r[1]);
        return [
          {
            key: entry.key as RfmClass,
            name: entry.name,
            segment: segmentFromRow(row),
            size: row.size,
            r: { min: entry.r[0], max: entry.r[1] },
            fm: { min: entry.fm[0], max: entry.fm[1] },
            recencyDays: covered.length ? { min: Math.min(...covered.map((q) => q.min)), max: Math.max(...covered.map((q) => q.max)) } : null,
          },
        ];
      }),
    };
  }

  /** The scores of many profiles in one query, in the order of `profileIds` (null: not scored). */
  async scoresOf(projectId: string, profileIds: readonly string[]): Promise<(ProfileRfm | null)[]> {
    const rows = (await this.dataSource.query(
      `SELECT score.profile_id AS scored_profile_id, score.class AS scored_class, score.recency_days, score.frequency, score.monetary, score.r, score.f, score.m, s.*
       FROM rfm_score score JOIN segment s ON s.project_id = score.project_id AND s.id = score.segment_id
       WHERE score.project_id = $1 AND score.profile_id = ANY($2::uuid[])`,
      [projectId, [...new Set(profileIds)].filter(isUuid)],
    )) as (SegmentRow & { scored_profile_id: string; scored_class: RfmClassKey; recency_days: number; frequency: number; monetary: number; r: number; f: number; m: number })[];
    const byProfile = new Map(
      rows.map((row) => [
        row.scored_profile_id,
        {
          r: row.r,
          f: row.f,
          m: row.m,
          fm: fmScore(row.f, row.m),
          key: row.scored_class as RfmClass,
          segment: segmentFromRow(row),
          recencyDays: row.recency_days,
          frequency: row.frequency,
          monetary: Number(row.monetary),
        },
      ]),
    );
    return profileIds.map((id) => byProfile.get(id) ?? null);
  }

  /** Projects whose computation is due at the clock's now, oldest first. */
  async due(limit: number): Promise<string[]> {
    const rows = (await this.dataSource.query(`SELECT project_id FROM rfm_config WHERE next_run_at <= $1 ORDER BY next_run_at LIMIT $2`, [this.clock.now(), limit])) as {
      project_id: string;
    }[];
    return rows.map((row) => row.project_id);
  }

  /** When the earliest computation is due (null: none configured). */
  async nextDue(): Promise<Date | null> {
    const [row] = (await this.dataSource.query(`SELECT min(next_run_at) AS at FROM rfm_config`)) as { at: Date | null }[];
    return row?.at ? new Date(row.at) : null;
  }

  private async configRow(manager: EntityManager, projectId: string, lock = false): Promise<ConfigRow | null> {
    const [row] = (await manager.query(`SELECT * FROM rfm_config WHERE project_id = $1${lock ? ' FOR UPDATE' : ''}`, [projectId])) as ConfigRow[];
    return row ? { ...row, next_run_at: new Date(row.next_run_at) } : null;
  }

  /** An IANA zone both ICU (the schedule) and PostgreSQL (day counting) know, spelled canonically. */
  private async validTimeZone(zone: string): Promise<string> {
    const canonical = canonicalTimeZone(zone);
    const [known] = canonical
      ? ((await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS known`, [canonical])) as { known: boolean }[])
      : [];
    if (!canonical || !known?.known)
      throw new RfmError(RfmErrorCode.InvalidTimeZone, `Invalid value for input.timeZone: "${zone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`, 'input.timeZone');
    return canonical;
  }
}

/** Where the purchase leaf's validation paths come from in ConfigureRfmInput. */
const LEAF_FIELDS = [
  ['rule.event.name', 'input.purchaseEvent'],
  ['rule.event.aggregate.property', 'input.amountProperty'],
  ['rule.event.within', 'input.windowDays'],
] as const;

/** The behaviour leaf whose per-profile state is a purchaser's n, sum of the amount and last purchase time in the window. */
function purchaseRule(config: { purchaseEvent: string; amountProperty: string; windowDays: number }) {
  // The aggregate makes each hit carry the amount (sum); its condition (≥ 0) matters to no one: scores read the state, not the verdict.
  return { event: { name: config.purchaseEvent, within: { days: config.windowDays }, aggregate: { fn: 'sum' as const, property: config.amountProperty, op: 'gte' as const, value: 0 } } };
}

function purchaseLeaf(config: ConfigRow): Leaf {
  return leavesOf(purchaseRule({ purchaseEvent: config.purchase_event, amountProperty: config.amount_property, windowDays: config.window_days }))[0]!;
}

function describe(entry: (typeof RFM_CLASSES)[number]): string {
  const range = ([low, high]: readonly [number, number]) => (low === high ? `${low}` : `${low}–${high}`);
  return `RFM class: R ${range(entry.r)}, FM ${range(entry.fm)} (recency score; average of frequency and monetary scores). Members are managed by the project's RFM family (configureRfm, recomputed daily).`;
}
