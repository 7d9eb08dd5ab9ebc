import type { NatsConnection } from '@nats-io/transport-node';
import { encodedSize, encodeLeafHitRows, MAX_LEAF_HIT_CHUNK_BYTES, type LeafHitRow } from '@boomerang/audience';
import type { LeafHitSink } from './leaf-hits-backfill.use-case.js';

/**
 * A streamed reply's rows on core NATS: encoded into chunks of at most MAX_LEAF_HIT_CHUNK_BYTES
 * published to the reply subject (StreamedResponder sends the final message).
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

  /** Publishes the rows still held (before the final message, which the responder sends). */
  async publishPending(): Promise<void> {
    if (this.pending.length === 0) return;
    this.nc.publish(this.subject, encodeLeafHitRows(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
    if (++this.chunks % this.flushEvery === 0) await this.nc.flush();
  }
}
