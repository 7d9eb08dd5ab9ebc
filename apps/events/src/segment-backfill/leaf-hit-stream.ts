import { headers, type NatsConnection } from '@nats-io/transport-node';
import { encodedSize, encodeLeafHitRows, MAX_LEAF_HIT_CHUNK_BYTES, type LeafHitRow } from '@boomerang/audience';
import { STREAM_END_HEADER, type LeafBackfillDone } from '@boomerang/contracts';
import type { LeafHitSink } from './leaf-hits-backfill.use-case.js';

/**
 * A streamed reply on core NATS: rows encoded into chunks of at most MAX_LEAF_HIT_CHUNK_BYTES
 * published to the reply subject, then the LeafBackfillDone message with the stream-end header.
 * Core NATS has no flow control: every few chunks the stream waits until the server has them all
 * (a flush), so a backfill never runs far ahead of what the connection has delivered.
 */
export class LeafHitStream implements LeafHitSink {
  private pending: LeafHitRow[] = [];
  private pendingBytes = 0;
  private chunks = 0;

  constructor(
    private readonly nc: Pick<NatsConnection, 'publish' | 'flush'>,
    private readonly subject: string,
    private readonly flushEvery = 4,
  ) {}

  async rows(rows: readonly LeafHitRow[]): Promise<void> {
    for (const row of rows) {
      const size = encodedSize(row);
      if (this.pendingBytes + size > MAX_LEAF_HIT_CHUNK_BYTES) await this.publishPending();
      this.pending.push(row);
      this.pendingBytes += size;
    }
  }

  /** Publishes what is left, then the final message (after an error: the rows sent are to be discarded). */
  async end(done: LeafBackfillDone): Promise<void> {
    if (done.ok) await this.publishPending();
    const end = headers();
    end.set(STREAM_END_HEADER, '1');
    this.nc.publish(this.subject, JSON.stringify(done), { headers: end });
    await this.nc.flush();
  }

  private async publishPending(): Promise<void> {
    if (this.pending.length === 0) return;
    this.nc.publish(this.subject, encodeLeafHitRows(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
    if (++this.chunks % this.flushEvery === 0) await this.nc.flush();
  }
}
