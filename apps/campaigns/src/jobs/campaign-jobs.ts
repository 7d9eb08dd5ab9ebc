import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { LOGGER, SUBGRAPH_CONFIG, type Logger, type SubgraphConfig } from '@boomerang/platform/subgraph';

/** A queue of durable jobs and what runs each of its jobs. */
export interface JobQueueDefinition<T extends object> {
  readonly name: string;
  /** Attempts after the first before a job is failed for good. */
  readonly retryLimit?: number;
  readonly retryDelaySeconds?: number;
  /** How often its idle worker asks for due jobs (default POLLING_INTERVAL_SECONDS); the backstop, see CampaignJobs. */
  readonly pollingIntervalSeconds?: number;
  handle(data: T, job: { id: string; name: string }): Promise<void>;
}

export interface ScheduleJobOptions {
  /** Not before this moment. */
  readonly startAfter?: Date;
  /** The job's id (a UUID): a second job with the same id is not created, so a deterministic id makes scheduling idempotent. */
  readonly id?: string;
  /** Writes the job in this transaction, so it exists exactly when the caller's rows commit. */
  readonly manager?: EntityManager;
}

/** How often an idle worker asks for due jobs (pg-boss's minimum is 0.5 s): the backstop of the wake-ups. */
const POLLING_INTERVAL_SECONDS = 0.5;
/** Longest wait between two looks at the earliest waiting job (jobs another instance scheduled, or this one before a restart). */
const WAKE_CHECK_MS = 30_000;
/** A wake-up a little after the due time, so pg-boss's `start_after < now()` holds when the worker asks. */
const WAKE_MARGIN_MS = 2;

/**
 * Durable timers and work for campaigns: pg-boss 10 in the service's own PostgreSQL schema
 * (tables `job`, `queue`, `version`, … beside campaigns' own), so each test schema has its own
 * queue and a restart picks up where it stopped. Features register their queues in their
 * constructors; the queues are created and the workers started when the app has booted, and
 * stopped (waiting for running jobs) before it shuts down.
 *
 * Not left to pg-boss's polling alone: a worker that ran a job asks again at once (a burst of due
 * jobs drains at the database's pace, not one job per poll), and the workers are woken when the
 * earliest waiting job comes due (a timer set from the job table, and from each job this instance
 * schedules), so a delayed trigger fires at its time rather than up to a poll later. The rows
 * stay the timers: a wake-up lost (a crash, another instance's job) only costs the poll.
 */
@Injectable()
export class CampaignJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly queues: JobQueueDefinition<object>[] = [];
  private boss?: PgBoss;
  /** The started queues' worker ids. */
  private readonly workers = new Map<string, string>();
  private wakeTimer?: NodeJS.Timeout;
  /** When the wake timer fires (ms since the epoch). */
  private wakeAt = Infinity;

  constructor(
    @Inject(SUBGRAPH_CONFIG) private readonly config: SubgraphConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  register<T extends object>(queue: JobQueueDefinition<T>): void {
    if (this.boss) throw new Error(`queue ${queue.name} registered after the jobs started`);
    this.queues.push(queue as unknown as JobQueueDefinition<object>);
  }

  async onApplicationBootstrap(): Promise<void> {
    const boss = new PgBoss({
      connectionString: this.config.DATABASE_URL,
      schema: this.config.schema,
      application_name: 'campaigns-jobs',
      max: 4,
    });
    boss.on('error', (error) => this.logger.error({ err: error }, 'campaign jobs error'));
    await boss.start();
    this.boss = boss;
    for (const queue of this.queues) await this.startQueue(queue);
    await this.armWake();
  }

  /** Creates the queue (if new) and its worker; registered queues are started at boot, tests may add more later. */
  async startQueue<T extends object>(queue: JobQueueDefinition<T>): Promise<void> {
    const boss = this.started();
    await boss.createQueue(queue.name, { name: queue.name, retryLimit: queue.retryLimit ?? 10, retryDelay: queue.retryDelaySeconds ?? 5, retryBackoff: true });
    const pollingIntervalSeconds = queue.pollingIntervalSeconds ?? POLLING_INTERVAL_SECONDS;
    const workerId = await boss.work<T>(queue.name, { pollingIntervalSeconds, batchSize: 1 }, async ([job]) => {
      if (!job) return;
      // There may be more due: the worker asks again as soon as this one is done instead of sleeping a poll.
      boss.notifyWorker(workerId);
      try {
        await queue.handle(job.data, { id: job.id, name: job.name });
      } catch (error) {
        this.logger.warn({ err: error, queue: queue.name, jobId: job.id }, 'campaign job failed; retried with backoff');
        throw error;
      }
    });
    this.workers.set(queue.name, workerId);
  }

  /** Wakes every worker (they ask for due jobs now), then sets the timer for the next waiting job. */
  private wake(): void {
    this.wakeAt = Infinity;
    const boss = this.boss;
    if (!boss) return;
    for (const workerId of this.workers.values()) boss.notifyWorker(workerId);
    void this.armWake();
  }

  /** Sets the wake timer for the earliest job that is not due yet (by the database's clock, which pg-boss compares with), WAKE_CHECK_MS at the latest. */
  private async armWake(): Promise<void> {
    if (!this.boss) return;
    try {
      const [row] = (await this.boss.getDb().executeSql(
        // Per queue, the first row of pg-boss's index of waiting jobs (job_i5: name, start_after WHERE state < 'active').
        `SELECT (extract(epoch FROM min(next.start_after) - now()) * 1000)::float8 AS due_in_ms
         FROM unnest($1::text[]) AS queue(name)
         CROSS JOIN LATERAL (
           SELECT start_after FROM "${this.config.schema}".job
           WHERE job.name = queue.name AND state < 'active' AND start_after > now() ORDER BY start_after LIMIT 1) next`,
        [[...this.workers.keys()]],
      )).rows as [{ due_in_ms: number | null }];
      this.wakeIn(Math.min(WAKE_CHECK_MS, row.due_in_ms ?? WAKE_CHECK_MS));
    } catch (error) {
      this.logger.warn({ err: error }, 'reading the next campaign job time failed; the workers poll meanwhile');
      this.wakeIn(WAKE_CHECK_MS);
    }
  }

  /** Moves the wake timer earlier (never later: the earliest job wins). */
  private wakeIn(ms: number): void {
    if (!this.boss) return;
    const at = Date.now() + Math.max(0, ms);
    if (at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, ms) + WAKE_MARGIN_MS);
  }

  private started(): PgBoss {
    if (!this.boss) throw new Error('campaign jobs are not started');
    return this.boss;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const boss = this.boss;
    this.boss = undefined;
    clearTimeout(this.wakeTimer);
    await boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }

  /** Queues a job; returns its id, or null when a job with the same id exists already. */
  async schedule<T extends object>(queue: string, data: T, options: ScheduleJobOptions = {}): Promise<string | null> {
    const { manager, startAfter, id } = options;
    const scheduled = await this.started().send(queue, data, {
      ...(startAfter ? { startAfter } : {}),
      ...(id ? { id } : {}),
      ...(manager ? { db: { executeSql: async (text: string, values: unknown[]) => ({ rows: (await manager.query(text, values)) as unknown[] }) } } : {}),
    });
    // Its wake-up: a job due now is found by the poll (its transaction has not committed yet).
    if (scheduled && startAfter) this.wakeIn(startAfter.getTime() - Date.now());
    return scheduled;
  }
}
