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

/** How often an idle worker asks for due jobs (pg-boss's minimum is 0.5 s). */
const POLLING_INTERVAL_SECONDS = 0.5;

/**
 * Durable timers and work for campaigns: pg-boss 10 in the service's own PostgreSQL schema
 * (tables `job`, `queue`, `version`, … beside campaigns' own), so each test schema has its own
 * queue and a restart picks up where it stopped. Features register their queues in their
 * constructors; the queues are created and the workers started when the app has booted, and
 * stopped (waiting for running jobs) before it shuts down.
 */
@Injectable()
export class CampaignJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly queues: JobQueueDefinition<object>[] = [];
  private boss?: PgBoss;

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
  }

  /** Creates the queue (if new) and its worker; registered queues are started at boot, tests may add more later. */
  async startQueue<T extends object>(queue: JobQueueDefinition<T>): Promise<void> {
    const boss = this.started();
    await boss.createQueue(queue.name, { name: queue.name, retryLimit: queue.retryLimit ?? 10, retryDelay: queue.retryDelaySeconds ?? 5, retryBackoff: true });
    await boss.work<T>(queue.name, { pollingIntervalSeconds: POLLING_INTERVAL_SECONDS, batchSize: 1 }, async ([job]) => {
      if (!job) return;
      try {
        await queue.handle(job.data, { id: job.id, name: job.name });
      } catch (error) {
        this.logger.warn({ err: error, queue: queue.name, jobId: job.id }, 'campaign job failed; retried with backoff');
        throw error;
      }
    });
  }

  private started(): PgBoss {
    if (!this.boss) throw new Error('campaign jobs are not started');
    return this.boss;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const boss = this.boss;
    this.boss = undefined;
    await boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }

  /** Queues a job; returns its id, or null when a job with the same id exists already. */
  async schedule<T extends object>(queue: string, data: T, options: ScheduleJobOptions = {}): Promise<string | null> {
    const { manager, startAfter, id } = options;
    return this.started().send(queue, data, {
      ...(startAfter ? { startAfter } : {}),
      ...(id ? { id } : {}),
      ...(manager ? { db: { executeSql: async (text: string, values: unknown[]) => ({ rows: (await manager.query(text, values)) as unknown[] }) } } : {}),
    });
  }
}
