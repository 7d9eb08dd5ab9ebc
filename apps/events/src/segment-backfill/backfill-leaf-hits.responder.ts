import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { BackfillLeafHits, type LeafBackfillDone } from '@boomerang/contracts';
import type { Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { LeafHitStream } from './leaf-hit-stream.js';
import { BackfillRequestError, parseLeafHitsBackfillRequest } from './leaf-hits-backfill.request.js';
import { BackfillStoppedError, LeafHitsBackfill } from './leaf-hits-backfill.use-case.js';

/** Backfills one instance runs at once (each holds a database connection for its whole read); more wait their turn. */
const MAX_RUNNING_BACKFILLS = 2;

/**
 * Answers BackfillLeafHits (core NATS, queue group: one instance answers each request) with a
 * streamed reply to the request's reply subject: the rows of LeafHitsBackfill in binary chunks,
 * then LeafBackfillDone. A bad request or a failure ends the stream with `{ ok: false, error }`.
 */
@Injectable()
export class BackfillLeafHitsResponder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscription?: Subscription;
  private readonly running = new Set<Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private readonly stopping = new AbortController();

  constructor(
    private readonly backfill: LeafHitsBackfill,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const { nc, subjects } = this.messaging;
    this.subscription = nc.subscribe(subjects.request(BackfillLeafHits.name), {
      queue: BackfillLeafHits.name,
      callback: (error, message) => {
        if (error) return this.logger.error({ err: error }, `rpc ${BackfillLeafHits.name} subscription failed`);
        const answer = this.answer(message).finally(() => this.running.delete(answer));
        this.running.add(answer);
      },
    });
  }

  /** Takes no new requests; the running ones end with `ok: false` at their next fetch (the caller asks again). */
  async beforeApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    this.stopping.abort();
    this.waiting.splice(0).forEach((start) => start());
    await Promise.allSettled([...this.running]);
  }

  private async answer(message: Msg): Promise<void> {
    if (!message.reply) {
      this.logger.warn(`rpc ${BackfillLeafHits.name}: a request without a reply subject, ignored`);
      return;
    }
    const stream = new LeafHitStream(this.messaging.nc, message.reply);
    let done: LeafBackfillDone;
    try {
      const request = parseLeafHitsBackfillRequest(message.data);
      await this.turn();
      try {
        if (this.stopping.signal.aborted) throw new BackfillStoppedError('events is shutting down; ask again');
        const result = await this.backfill.execute(request, stream, this.stopping.signal);
        done = { ok: true, ...result };
      } finally {
        this.release();
      }
    } catch (failure) {
      if (!(failure instanceof BackfillRequestError) && !(failure instanceof BackfillStoppedError))
        this.logger.error({ err: failure }, `rpc ${BackfillLeafHits.name} failed`);
      done = { ok: false, error: (failure as Error).message };
    }
    await stream.end(done).catch((error: unknown) => this.logger.warn({ err: error }, `rpc ${BackfillLeafHits.name}: the reply could not be sent`));
  }

  private async turn(): Promise<void> {
    if (this.active < MAX_RUNNING_BACKFILLS) {
      this.active++;
      return;
    }
    // The slot is handed over by release().
    await new Promise<void>((start) => this.waiting.push(start));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
