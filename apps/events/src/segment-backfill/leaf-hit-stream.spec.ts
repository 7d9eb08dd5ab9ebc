import { decodeLeafHitRows, MAX_LEAF_HIT_CHUNK_BYTES, type LeafHitRow } from '@boomerang/audience';
import { STREAM_END_HEADER } from '@boomerang/contracts';
import { LeafHitStream } from './leaf-hit-stream.js';
import { endStream } from './streamed-responder.js';

/** A connection that records what is published and how often it is flushed. */
const fakeConnection = () => {
  const published: { data: Uint8Array | string; end: boolean }[] = [];
  let flushes = 0;
  return {
    published,
    flushes: () => flushes,
    publish: (_subject: string, data?: Uint8Array | string, options?: { headers?: { get(key: string): string } }) => {
      published.push({ data: data!, end: options?.headers?.get(STREAM_END_HEADER) === '1' });
    },
    flush: async () => {
      flushes++;
    },
  };
};

const summary = (leaf: number, hits: number): LeafHitRow => ({
  kind: 'summary',
  leaf,
  profileId: '018f0000-0000-7000-8000-000000000001',
  n: hits,
  vn: 0,
  sum: 0,
  min: null,
  max: null,
  first: 1,
  last: hits,
  times: Array.from({ length: hits }, (_, index) => index + 1),
  vals: Array.from({ length: hits }, () => null),
});

describe('LeafHitStream', () => {
  it('cuts rows into chunks of at most MAX_LEAF_HIT_CHUNK_BYTES, in order, flushing every few chunks', async () => {
    const nc = fakeConnection();
    const sut = new LeafHitStream(nc as never, 'reply', 2);
    const rows = Array.from({ length: 20 }, (_, index) => summary(index, 5000));
    await sut.rows(rows.slice(0, 7));
    await sut.rows(rows.slice(7));
    await sut.publishPending();
    const chunks = nc.published;
    expect(chunks.every((message) => !message.end)).toBe(true);
    expect(chunks.length).toBe(4);
    for (const chunk of chunks) expect((chunk.data as Uint8Array).length).toBeLessThanOrEqual(MAX_LEAF_HIT_CHUNK_BYTES);
    expect(chunks.flatMap((chunk) => decodeLeafHitRows(chunk.data as Uint8Array).map((row) => row.leaf))).toEqual(rows.map((row) => row.leaf));
    expect(nc.flushes()).toBe(2);
  });
});

describe('endStream', () => {
  it('sends the final message with the stream-end header and waits for the server', async () => {
    const nc = fakeConnection();
    await endStream(nc as never, 'reply', { ok: false, error: 'boom' });
    expect(nc.published).toEqual([{ data: JSON.stringify({ ok: false, error: 'boom' }), end: true }]);
    expect(nc.flushes()).toBe(1);
  });
});
