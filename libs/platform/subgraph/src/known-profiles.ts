import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ListProfileIds, MAX_PROFILE_IDS_PER_PAGE, type MessageOf, type ProfileCreated } from '@boomerang/contracts';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { assertUnreachable, DomainError, type ErrorKind } from './domain-error.js';
import { LOGGER, MESSAGING } from './tokens.js';

export enum KnownProfileErrorCode {
  ProfileNotFound = 'PROFILE_NOT_FOUND',
}

function kindOf(code: KnownProfileErrorCode): ErrorKind {
  switch (code) {
    case KnownProfileErrorCode.ProfileNotFound:
      return 'not-found';
    default:
      return assertUnreachable(code);
  }
}

export class KnownProfileError extends DomainError {
  constructor(code: KnownProfileErrorCode, message: string, field?: string) {
    super(code, kindOf(code), message, field);
  }
}

/** A profile id as a request gave it, and where (`input.profileId`, `profileIds[3]`), for the error that refuses it. */
export interface ProfileIdArgument {
  readonly profileId: string;
  readonly field: string;
}

/** How long profiles may take to answer one backfill page. */
const BACKFILL_REPLY_TIMEOUT_MS = 10_000;
const BACKFILL_RETRY_MAX_MS = 30_000;

/**
 * The service's projection of which profiles exist, in its own `known_profile` table (migration
 * per service): filled by `profiles.*.created` (the service's profile-sync consumer calls
 * `remember`), emptied of merged and erased ids by its merge and erase handlers (`forget`, in their
 * transaction), and read by `require` before a write stores a profile id. No request asks profiles.
 *
 * A forgotten id keeps its row (`forgotten_at`), so a ProfileCreated that arrives after the
 * ProfileMerged/ProfileDeleted of the same id (separate consumers, redeliveries) cannot bring it
 * back: profile ids are never reused.
 *
 * A new projection is filled once from profiles (`ListProfileIds`, page by page, resumable, until
 * the last page; retried while profiles does not answer). ProfileCreated messages announced before
 * the projection began (`known_profile_backfill.started_at`) are left to that backfill: replayed
 * from the stream, they could name profiles erased before this service recorded erasures.
 */
@Injectable()
export class KnownProfiles implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly abort = new AbortController();
  private backfilling?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** ProfileCreated, one message or a batch: the profiles exist (unless forgotten already). */
  async remember(manager: EntityManager, created: readonly Pick<MessageOf<typeof ProfileCreated>, 'projectId' | 'profileId' | 'occurredAt'>[]): Promise<void> {
    if (created.length === 0) return;
    await manager.query(
      `INSERT INTO known_profile (project_id, profile_id)
       SELECT project_id, profile_id FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS created (project_id, profile_id, occurred_at)
       WHERE occurred_at >= (SELECT started_at FROM known_profile_backfill)
       ON CONFLICT (project_id, profile_id) DO NOTHING`,
      [created.map((body) => body.projectId), created.map((body) => body.profileId), created.map((body) => body.occurredAt)],
    );
  }

  /**
   * ProfileMerged (the merged id) or ProfileDeleted: the id is refused once this transaction
   * commits. Call it before the handler's other writes: a write holding the id (`require` with
   * its manager) is waited for, so its rows exist when the handler moves or deletes them.
   */
  async forget(manager: EntityManager, projectId: string, profileId: string): Promise<void> {
    await manager.query(
      `INSERT INTO known_profile (project_id, profile_id, forgotten_at) VALUES ($1, $2, now())
       ON CONFLICT (project_id, profile_id) DO UPDATE SET forgotten_at = COALESCE(known_profile.forgotten_at, EXCLUDED.forgotten_at)`,
      [projectId, profileId],
    );
  }

  /**
   * Refuses (NOT_FOUND, naming the first unknown id and its field) any id that is not a known
   * profile of the project. Given the write's `transaction`, the known rows are share-locked until
   * it commits, so an erasure or merge of one of them waits for it and then sees what it wrote.
   */
  async require(projectId: string, ids: readonly ProfileIdArgument[], transaction?: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    const rows = (await (transaction ?? this.dataSource).query(
      `SELECT profile_id FROM known_profile
       WHERE project_id = $1 AND profile_id = ANY($2::uuid[]) AND forgotten_at IS NULL
       ORDER BY profile_id ${transaction ? 'FOR SHARE' : ''}`,
      [projectId, [...new Set(ids.map((id) => id.profileId))]],
    )) as { profile_id: string }[];
    const known = new Set(rows.map((row) => row.profile_id));
    const unknown = ids.filter((id) => !known.has(id.profileId));
    const [first] = unknown;
    if (!first) return;
    const others = new Set(unknown.map((id) => id.profileId)).size - 1;
    throw new KnownProfileError(
      KnownProfileErrorCode.ProfileNotFound,
      `No profile ${first.profileId} in this project for ${first.field} (or not yet known here: a profile created a moment ago is known within seconds; retry shortly)` +
        (others > 0 ? `; ${others} more of the profile ids given are unknown too` : ''),
      first.field,
    );
  }

  onApplicationBootstrap(): void {
    this.backfilling = this.backfill();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.backfilling;
  }

  /** Until the projection has read every page once: a page per transaction, retried with backoff while profiles does not answer. */
  private async backfill(): Promise<void> {
    for (let delayMs = 250; !this.abort.signal.aborted; ) {
      try {
        if (await this.backfillPage()) return;
        delayMs = 250;
      } catch (error) {
        this.logger.warn({ err: error, retryInMs: delayMs }, 'known profiles backfill failed (is profiles running?); retrying');
        await sleep(delayMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
        delayMs = Math.min(delayMs * 2, BACKFILL_RETRY_MAX_MS);
      }
    }
  }

  /** One page, with the cursor it advances in the same transaction (its row lock keeps other instances out meanwhile). True once done. */
  private backfillPage(): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [state] = (await manager.query(`SELECT after_profile_id, completed_at FROM known_profile_backfill FOR UPDATE`)) as {
        after_profile_id: string | null;
        completed_at: Date | null;
      }[];
      if (!state || state.completed_at) return true;
      const page = await callRpc(
        this.messaging.nc,
        this.messaging.subjects,
        ListProfileIds,
        { after: state.after_profile_id, limit: MAX_PROFILE_IDS_PER_PAGE },
        BACKFILL_REPLY_TIMEOUT_MS,
      );
      await manager.query(
        `INSERT INTO known_profile (project_id, profile_id)
         SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT (project_id, profile_id) DO NOTHING`,
        [page.profiles.map((profile) => profile.projectId), page.profiles.map((profile) => profile.profileId)],
      );
      await manager.query(`UPDATE known_profile_backfill SET after_profile_id = $1, completed_at = CASE WHEN $1::uuid IS NULL THEN now() END`, [page.next]);
      if (page.next === null) this.logger.info('known profiles backfilled from profiles');
      return page.next === null;
    });
  }
}
