import { Inject, Injectable } from '@nestjs/common';
import { createInbox } from '@nats-io/transport-node';
import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { decodeLeafScanRows, MAX_SCANNED_LEAVES, type EventRule, type LeafScanRow } from '@boomerang/audience';
import { LeafBackfillDoneSchema, ScanEventLeaves, STREAM_END_HEADER } from '@boomerang/contracts';
import type { Messaging } from '@boomerang/platform/messaging';
import { runPipelinedCopies } from '@boomerang/platform/persistence';
import { MESSAGING } from '@boomerang/platform/subgraph';
import { LeafBackfillError } from './leaf-backfill.js';
import type { StoredLeaf } from './leaf-catalog.js';

/** How long events may stay silent during a scan before it is given up. */
const SCAN_SILENCE_MS = 60_000;

/** What a scan answered: per scanned leaf, the profiles whose verdict is not that of no hits. */
export interface LeafScan {
  /** The leaves scanned, bit i of a row's mask being leaves[i]. */
  readonly leaves: readonly StoredLeaf[];
  readonly rows: readonly LeafScanRow[];
  readonly snapshotAt: string;
}

/** events does not answer ScanEventLeaves (an older events, or none running): the caller fills states instead. */
export class LeafScanUnavailable extends Error {
  override name = 'LeafScanUnavailable';
}

/**
 * Asks events for the verdicts of a segment's new event leaves in one grouped scan of the raw
 * events (ScanEventLeaves): the members can be written from them at once, before the per-profile
 * states exist. The rows travel as 20-byte binary records (profile id, mask of leaves that hold).
 */
@Injectable()
export class LeafScans {
  constructor(@Inject(MESSAGING) private readonly messaging: Messaging) {}

  /** Whether these leaves can be answered by a scan: event leaves (not sequences), at most MAX_SCANNED_LEAVES. */
  static scannable(leaves: readonly StoredLeaf[]): boolean {
    return leaves.length > 0 && leaves.length <= MAX_SCANNED_LEAVES && leaves.every((leaf) => leaf.leaf.kind === 'event');
  }

  async scan(projectId: string, leaves: readonly StoredLeaf[], nowMs: number): Promise<LeafScan> {
    const answer = await this.scanRules(
      projectId,
      leaves.map((leaf) => leaf.leaf.rule as EventRule),
      nowMs,
    );
    return { leaves, ...answer };
  }

  /** The scan of these rules (bit i of a row's mask: rules[i]), for leaves not stored yet (`SegmentComputation.scanAhead`). */
  async scanRules(projectId: string, rules: readonly EventRule[], nowMs: number): Promise<Omit<LeafScan, 'leaves'>> {
    const request = ScanEventLeaves.request.parse({ projectId, at: new Date(nowMs).toISOString(), leaves: rules });
    const { nc, subjects } = this.messaging;
    const inbox = createInbox(`${subjects.prefix}_INBOX`);
    const subscription = nc.subscribe(inbox);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => subscription.unsubscribe(), SCAN_SILENCE_MS);
    };
    const rows: LeafScanRow[] = [];
    try {
      arm();
      nc.publish(subjects.request(ScanEventLeaves.name), JSON.stringify(request), { reply: inbox });
      for await (const message of subscription) {
        arm();
        if (message.headers?.hasError && message.headers.code === 503) throw new LeafScanUnavailable('events does not answer scans (no responders)');
        if (message.headers?.get(STREAM_END_HEADER)) {
          const done = LeafBackfillDoneSchema.parse(message.json());
          if (!done.ok) throw new LeafBackfillError(`events could not scan: ${done.error}`);
          return { rows, snapshotAt: done.snapshotAt };
        }
        for (const row of decodeLeafScanRows(message.data)) rows.push(row);
      }
      throw new LeafBackfillError(`events did not answer the scan within ${SCAN_SILENCE_MS / 1000} s`, true);
    } finally {
      clearTimeout(timer);
      subscription.unsubscribe();
    }
  }

  /**
   * Writes a scan into the transaction's temporary table `leaf_scan (leaf_id, profile_id, matched)`,
   * shaped as `leaf_state` is read by `membersQuery`: a row per leaf and profile whose verdict is
   * not the leaf's verdict without hits (a profile without a row has that one).
   */
  async load(manager: EntityManager, scan: LeafScan, leafIds: ReadonlySet<string>): Promise<void> {
    await manager.query(`CREATE TEMP TABLE leaf_scan (leaf_id uuid NOT NULL, profile_id uuid NOT NULL, matched boolean NOT NULL, PRIMARY KEY (leaf_id, profile_id)) ON COMMIT DROP`);
    const lines: string[] = [];
    scan.leaves.forEach((leaf, bit) => {
      if (!leafIds.has(leaf.id)) return;
      const flag = 1 << bit;
      const without = leaf.matchesWithoutHits;
      for (const row of scan.rows) {
        const holds = (row.mask & flag) !== 0;
        if (holds !== without) lines.push(`${leaf.id}\t${row.profileId}\t${holds ? 't' : 'f'}`);
      }
    });
    if (lines.length) {
      const client = (manager.queryRunner as unknown as { databaseConnection: pg.PoolClient }).databaseConnection;
      await runPipelinedCopies(client, [{ statement: `COPY leaf_scan (leaf_id, profile_id, matched) FROM STDIN`, lines }]);
    }
    await manager.query(`ANALYZE leaf_scan`);
  }
}
