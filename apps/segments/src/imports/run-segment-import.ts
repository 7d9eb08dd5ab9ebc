import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { MAX_IDENTITIES_PER_LOOKUP, MAX_IDENTITY_VALUE_LENGTH, ResolveIdentities, type ResolveIdentitiesReply } from '@boomerang/contracts';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';
import { Clock, LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { StaticSegments } from '../segments/static-segments.js';
import { CohortFileError } from './cohort-file-error.js';
import { cohortRows, type CohortRow } from './cohort-files.js';
import { SEGMENT_IMPORTS_CONFIG, type SegmentImportsConfig } from './imports-config.js';
import { emptyProgress, SegmentImports, type BatchProgress, type SegmentImportJob, type UnmatchedRow } from './segment-imports.repository.js';

/** A running job refreshes its heartbeat this often, even while its upload is slow. */
const HEARTBEAT_MS = 10_000;
/** A running job whose heartbeat is older than this has lost its process (killed): it is failed. */
export const ABANDONED_AFTER_MS = 60_000;
const SWEEP_MS = 30_000;
/** Rows written per transaction (looked up in batches of 1000, side by side). */
const ROWS_PER_TRANSACTION = 5000;
/** Exits of a REPLACE import are written this many per transaction. */
const EXITS_PER_TRANSACTION = 5000;
/** ResolveIdentities is tried this often (with backoff, up to ~30 s in all) while profiles does not answer. */
const LOOKUP_ATTEMPTS = 6;

/** Ends a job for a reason that is not the file's: the segment went, the job was failed meanwhile, the process stops. */
class ImportStopped extends Error {
  override name = 'ImportStopped';
}

interface Batch {
  /** Rows with a value to look up, in file order. */
  readonly lookups: { row: number; value: string }[];
  /** Rows already known to match nobody (empty, malformed). */
  readonly unmatched: UnmatchedRow[];
}

const newBatch = (): Batch => ({ lookups: [], unmatched: [] });

/** What each kind of value must look like, for the unmatched row's detail. */
const MALFORMED_DETAIL = { user_id: 'not a user id', email: 'not an email address', phone: 'not a phone number (E.164, e.g. +14155550123)' } as const;

/**
 * Reads a cohort file into its static segment, streamed: rows are parsed one by one, looked up in
 * batches of 1000 (ResolveIdentities, answered by profiles; the next rows are looked up while the
 * previous ones are written), and every 5000 rows are one transaction: new members with their entries
 * (cause `import`, version 1, through the outbox), unmatched rows (the first N kept), counters.
 * REPLACE then removes, in transactions of 5000, the members the file did not name. Memory holds
 * two batches whatever the file's size.
 */
@Injectable()
export class RunSegmentImport implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<unknown> }>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly imports: SegmentImports,
    private readonly statics: StaticSegments,
    private readonly clock: Clock,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SEGMENT_IMPORTS_CONFIG) private readonly config: SegmentImportsConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (process.argv.includes('--print-schema')) return;
    const heartbeat = setInterval(() => void this.imports.heartbeat([...this.running.keys()], this.clock.now()).catch(() => undefined), HEARTBEAT_MS);
    const sweep = setInterval(() => void this.sweep().catch((error: unknown) => this.logger.warn({ err: error }, 'segment import sweep failed')), SWEEP_MS);
    this.timers = [heartbeat, sweep];
    for (const timer of this.timers) timer.unref();
    void this.sweep().catch((error: unknown) => this.logger.warn({ err: error }, 'segment import sweep failed'));
  }

  /** Stops the imports of this process (each fails, saying so) before the pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const { abort } of this.running.values()) abort.abort(new ImportStopped('segments shut down during the import'));
    await Promise.allSettled([...this.running.values()].map((job) => job.done));
  }

  /**
   * Fails the jobs whose process died (a kill or crash mid-import: the file was streamed, never
   * stored, so there is nothing to resume from) and the uploads never made.
   */
  sweep(now = this.clock.now()): Promise<number> {
    return this.imports.failAbandoned(new Date(now.getTime() - ABANDONED_AFTER_MS), now, {
      interrupted:
        'interrupted: the segments process running this import stopped (%s rows read, %s members added and kept); the file was streamed, not stored, so import it again (ADD adds only the missing members; REPLACE removes members only when a whole file was read)',
      neverUploaded: 'no file was uploaded before the upload URL expired; create a new import',
    });
  }

  /**
   * Runs a claimed (RUNNING) job over the bytes `open` gives and answers the job as it ended:
   * DONE, or FAILED with the reason (a bad file names its row and column). Never throws.
   */
  async execute(job: SegmentImportJob, open: (signal: AbortSignal) => Promise<AsyncIterable<Buffer>>): Promise<SegmentImportJob> {
    const abort = new AbortController();
    const totals = emptyProgress();
    const done = (async () => {
      try {
        await this.run(job, await open(abort.signal), abort.signal, totals);
      } catch (error) {
        const reason = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason : error;
        const message = this.failureMessage(reason, totals);
        if (!(reason instanceof CohortFileError || reason instanceof ImportStopped)) this.logger.warn({ err: reason, importId: job.id }, 'segment import failed');
        await this.imports.fail(job.id, message, this.clock.now());
      }
    })();
    this.running.set(job.id, { abort, done });
    try {
      await done;
    } finally {
      this.running.delete(job.id);
    }
    return (await this.imports.find(job.projectId, job.id))!;
  }

  private failureMessage(error: unknown, totals: BatchProgress): string {
    const sofar = `${totals.rowsRead} rows read, ${totals.added} members added and kept`;
    if (error instanceof CohortFileError) return `${error.message} (${sofar}; fix the file and import it again)`;
    if (error instanceof ImportStopped) return `${error.message} (${sofar}); import the file again`;
    const code = (error as { code?: string }).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error).message === 'aborted')
      return `the upload was cut off before the end of the file (${sofar}); upload it again`;
    return `the import failed: ${(error as Error).message} (${sofar}); import the file again`;
  }

  private async run(job: SegmentImportJob, body: AsyncIterable<Buffer>, signal: AbortSignal, totals: BatchProgress): Promise<void> {
    const state = { kept: 0 };
    let batch = newBatch();
    let pending: Promise<{ batch: Batch; reply: ResolveIdentitiesReply | null }> | null = null;
    const flush = async () => {
      const next = this.lookUp(job, batch, signal);
      next.catch(() => undefined);
      batch = newBatch();
      if (pending) await this.write(job, await pending, totals, state);
      pending = next;
    };
    let read = 0;
    for await (const row of cohortRows(body, job)) {
      if (signal.aborted) throw signal.reason;
      if (++read > this.config.SEGMENTS_IMPORT_MAX_ROWS) throw new CohortFileError(`row ${row.row}: more than ${this.config.SEGMENTS_IMPORT_MAX_ROWS} rows (SEGMENTS_IMPORT_MAX_ROWS)`);
      take(row, batch);
      if (batch.lookups.length + batch.unmatched.length >= ROWS_PER_TRANSACTION) await flush();
    }
    if (batch.lookups.length || batch.unmatched.length) await flush();
    if (pending) await this.write(job, await pending, totals, state);
    if (job.mode === 'replace') await this.exitUnseen(job, totals, signal);
    else await this.dataSource.transaction((manager) => this.imports.finish(manager, job.id, this.clock.now()));
  }

  /** The batch's profiles from profiles, 1000 values a request, the requests side by side. */
  private async lookUp(job: SegmentImportJob, batch: Batch, signal: AbortSignal): Promise<{ batch: Batch; reply: ResolveIdentitiesReply | null }> {
    if (batch.lookups.length === 0) return { batch, reply: null };
    const chunks: string[][] = [];
    for (let start = 0; start < batch.lookups.length; start += MAX_IDENTITIES_PER_LOOKUP)
      chunks.push(batch.lookups.slice(start, start + MAX_IDENTITIES_PER_LOOKUP).map((lookup) => lookup.value));
    const replies = await Promise.all(chunks.map((values) => this.resolve(job, values, signal)));
    return {
      batch,
      reply: {
        profileIds: replies.flatMap((reply) => reply.profileIds),
        malformed: replies.flatMap((reply, chunk) => reply.malformed.map((index) => index + chunk * MAX_IDENTITIES_PER_LOOKUP)),
      },
    };
  }

  /** One ResolveIdentities request, retried with backoff while profiles does not answer. */
  private async resolve(job: SegmentImportJob, values: string[], signal: AbortSignal): Promise<ResolveIdentitiesReply> {
    const request = { projectId: job.projectId, kind: job.identityKind, values };
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await callRpc(this.messaging.nc, this.messaging.subjects, ResolveIdentities, request, 10_000);
        if (reply.profileIds.length !== values.length) throw new Error(`ResolveIdentities answered ${reply.profileIds.length} ids for ${values.length} values`);
        return reply;
      } catch (error) {
        if (attempt >= LOOKUP_ATTEMPTS || signal.aborted) throw new ImportStopped(`profiles did not resolve identities (${(error as Error).message})`);
        await sleep(Math.min(250 * 2 ** attempt, 8000), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private async write(job: SegmentImportJob, resolved: { batch: Batch; reply: ResolveIdentitiesReply | null }, totals: BatchProgress, state: { kept: number }): Promise<void> {
    const { batch, reply } = resolved;
    const progress = emptyProgress();
    const now = this.clock.now();
    await this.dataSource.transaction(async (manager) => {
      await this.lockSegment(manager, job);
      const found = [...new Set((reply?.profileIds ?? []).filter((id): id is string => id !== null))];
      // Share-locked, as KnownProfiles.require does: an erasure or merge of one of them waits for this
      // batch (and then removes its membership), or this batch waits for it and leaves the profile out.
      const known = new Set(
        (
          (await manager.query(
            `SELECT profile_id FROM known_profile WHERE project_id = $1 AND profile_id = ANY($2::uuid[]) AND forgotten_at IS NULL ORDER BY profile_id FOR SHARE`,
            [job.projectId, found],
          )) as { profile_id: string }[]
        ).map((row) => row.profile_id),
      );
      const malformed = new Set(reply?.malformed ?? []);
      const unmatched = [...batch.unmatched];
      const matched: string[] = [];
      batch.lookups.forEach((lookup, index) => {
        const profileId = reply!.profileIds[index]!;
        if (malformed.has(index)) unmatched.push({ ...lookup, reason: 'malformed', detail: MALFORMED_DETAIL[job.identityKind] });
        else if (profileId === null) unmatched.push({ ...lookup, reason: 'unknown_identity', detail: `no profile has this ${job.identityKind}` });
        else if (!known.has(profileId)) unmatched.push({ ...lookup, reason: 'profile_not_known', detail: `profile ${profileId} is erased, merged, or not yet known to segments` });
        else matched.push(profileId);
      });
      const members = [...new Set(matched)];
      if (job.mode === 'replace') await this.imports.rememberSeen(manager, job.id, members);
      const entering = await this.statics.addMembers(manager, job.projectId, { id: job.segmentId, version: 1 }, members, 'import', now);
      const kept = unmatched.sort((a, b) => a.row - b.row).slice(0, Math.max(0, this.config.SEGMENTS_IMPORT_KEPT_UNMATCHED_ROWS - state.kept));
      await this.imports.keepUnmatched(manager, job.id, kept);
      progress.rowsRead = batch.lookups.length + batch.unmatched.length;
      progress.matched = matched.length;
      for (const row of unmatched) progress.unmatched[row.reason]++;
      progress.added = entering.length;
      if (!(await this.imports.progress(manager, job.id, progress, kept.length, now))) throw new ImportStopped('the import was failed while it ran');
      state.kept += kept.length;
    });
    add(totals, progress);
  }

  /** REPLACE: the members the file did not name exit, 5000 per transaction; the last one marks the job DONE. */
  private async exitUnseen(job: SegmentImportJob, totals: BatchProgress, signal: AbortSignal): Promise<void> {
    if (totals.matched === 0)
      throw new CohortFileError(
        `no row matched a profile, and REPLACE would empty the segment: check input.column and input.identityKind (${Object.entries(totals.unmatched)
          .filter(([, count]) => count > 0)
          .map(([reason, count]) => `${count} ${reason}`)
          .join(', ')})`,
      );
    for (let finished = false; !finished; ) {
      if (signal.aborted) throw signal.reason;
      finished = await this.dataSource.transaction(async (manager) => {
        const now = this.clock.now();
        await this.lockSegment(manager, job);
        const leaving = await this.imports.unseenMembers(manager, job, EXITS_PER_TRANSACTION);
        const left = await this.statics.removeMembers(manager, job.projectId, { id: job.segmentId, version: 1 }, leaving, 'import', now);
        const progress = { ...emptyProgress(), removed: left.length };
        if (!(await this.imports.progress(manager, job.id, progress, 0, now))) throw new ImportStopped('the import was failed while it ran');
        add(totals, progress);
        if (leaving.length === EXITS_PER_TRANSACTION) return false;
        await this.imports.finish(manager, job.id, now);
        return true;
      });
    }
  }

  /** The segment row, locked for the batch: members are written one batch at a time, and not into an archived segment. */
  private async lockSegment(manager: EntityManager, job: SegmentImportJob): Promise<void> {
    const [segment] = (await manager.query(`SELECT archived_at FROM segment WHERE project_id = $1 AND id = $2 FOR UPDATE`, [job.projectId, job.segmentId])) as {
      archived_at: Date | null;
    }[];
    if (!segment) throw new ImportStopped('the segment was deleted during the import');
    if (segment.archived_at) throw new ImportStopped('the segment was archived during the import');
  }
}

/** A row goes to the batch's look-ups, or straight to its unmatched rows. */
function take(row: CohortRow, batch: Batch): void {
  if ('problem' in row) batch.unmatched.push({ row: row.row, value: row.value, reason: row.problem, detail: row.detail });
  else if (row.value.length > MAX_IDENTITY_VALUE_LENGTH)
    batch.unmatched.push({ row: row.row, value: `${row.value.slice(0, 64)}…`, reason: 'malformed', detail: `longer than ${MAX_IDENTITY_VALUE_LENGTH} characters` });
  else batch.lookups.push({ row: row.row, value: row.value });
}

function add(totals: BatchProgress, progress: BatchProgress): void {
  totals.rowsRead += progress.rowsRead;
  totals.matched += progress.matched;
  totals.added += progress.added;
  totals.removed += progress.removed;
  for (const reason of Object.keys(progress.unmatched) as (keyof BatchProgress['unmatched'])[]) totals.unmatched[reason] += progress.unmatched[reason];
}
