import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { STREAM_END_HEADER, type LeafBackfillDone } from '@boomerang/contracts';
import type { Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/subgraph';
import { BackfillRequestError } from './leaf-hits-backfill.request.js';
import { BackfillStoppedError } from './leaf-hits-backfill.use-case.js';

/** What a streamed reply's final message reports on success (LeafBackfillDone without `ok`). */
export type StreamedResult = Omit<Extract<LeafBackfillDone, { ok: true }>, 'ok'>;

/**
 * Answers one request/reply contract (core NATS, queue group: one instance answers each request)
 * with a streamed reply: `stream` publishes the rows to the reply subject, then this ends the stream
 * with LeafBackfillDone and the stream-end header. A bad request or a failure ends it with
 * `{ ok: false, error }` (the rows sent are to be discarded). At most `maxRunning` run at once per
 * instance (each holds a database connection for its whole read); more wait their turn. On shutdown
 * no new request is taken and the running ones end `ok: false` at their next fetch (the caller asks again).
 */
export abstract class StreamedResponder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscription?: Subscription;
  private readonly running = new Set<Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private readonly stopping = new AbortController();

  protected constructor(
    private readonly contractName: string,
    private readonly maxRunning: number,
    protected readonly messaging: Messaging,
    protected readonly logger: Logger,
  ) {}

  /** Validates the request (throwing BackfillRequestError) before the request waits for its turn. */
  protected abstract parse(data: Uint8Array): unknown;

  /** Publishes every row of the answer to `reply` (the final message is this class's). */
  protected abstract stream(request: unknown, reply: string, signal: AbortSignal): Promise<StreamedResult>;

  onApplicationBootstrap(): void {
    this.subscription = this.messaging.nc.subscribe(this.messaging.subjects.request(this.contractName), {
      queue: this.contractName,
      callback: (error, message) => {
        if (error) return this.logger.error({ err: error }, `rpc ${this.contractName} subscription failed`);
        const answer = this.answer(message).finally(() => this.running.delete(answer));
        this.running.add(answer);
      },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    this.stopping.abort();
    this.waiting.splice(0).forEach((start) => start());
    await Promise.allSettled([...this.running]);
  }

  private async answer(message: Msg): Promise<void> {
    if (!message.reply) {
      this.logger.warn(`rpc ${this.contractName}: a request without a reply subject, ignored`);
      return;
    }
    let done: LeafBackfillDone;
    try {
      const request = this.parse(message.data);
      await this.turn();
      try {
        if (this.stopping.signal.aborted) throw new BackfillStoppedError('events is shutting down; ask again');
        done = { ok: true, ...(await this.stream(request, message.reply, this.stopping.signal)) };
      } finally {
        this.release();
      }
    } catch (failure) {
      if (!(failure instanceof BackfillRequestError) && !(failure instanceof BackfillStoppedError)) this.logger.error({ err: failure }, `rpc ${this.contractName} failed`);
      done = { ok: false, error: (failure as Error).message };
    }
    await endStream(this.messaging.nc, message.reply, done).catch((error: unknown) => this.logger.warn({ err: error }, `rpc ${this.contractName}: the reply could not be sent`));
  }

  private async turn(): Promise<void> {
    if (this.active < this.maxRunning) {
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

/** The final message of a streamed reply, with the stream-end header; waits until the server has it. */
export async function endStream(nc: Pick<NatsConnection, 'publish' | 'flush'>, subject: string, done: LeafBackfillDone): Promise<void> {
  const end = headers();
  end.set(STREAM_END_HEADER, '1');
  nc.publish(subject, JSON.stringify(done), { headers: end });
  await nc.flush();
}
