/**
 * The binary rows of a leaf backfill (events → segments): compact, no JSON arrays of UUIDs.
 * Little-endian; a null number is NaN.
 *
 *   summary (kind 1): u8 1 | u16 leaf | 16 B profile | u32 n | u32 vn | f64 sum min max first last | u32 k | k × (f64 time, f64 value)
 *   recent  (kind 2): u8 2 | u16 leaf | 16 B profile | 16 B event | f64 time | f64 value
 *
 * Times are epoch milliseconds.
 */
export interface LeafSummaryRow {
  readonly kind: 'summary';
  readonly leaf: number;
  readonly profileId: string;
  readonly n: number;
  readonly vn: number;
  readonly sum: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly first: number | null;
  readonly last: number | null;
  readonly times: readonly number[];
  readonly vals: readonly (number | null)[];
}

export interface LeafRecentHitRow {
  readonly kind: 'recent';
  readonly leaf: number;
  readonly profileId: string;
  readonly eventId: string;
  readonly time: number;
  readonly value: number | null;
}

export type LeafHitRow = LeafSummaryRow | LeafRecentHitRow;

/** Chunks stay under NATS' default 1 MB payload. */
export const MAX_LEAF_HIT_CHUNK_BYTES = 512 * 1024;

const SUMMARY_FIXED = 1 + 2 + 16 + 4 + 4 + 8 * 5 + 4;
const RECENT_SIZE = 1 + 2 + 16 + 16 + 8 + 8;

export function encodedSize(row: LeafHitRow): number {
  return row.kind === 'recent' ? RECENT_SIZE : SUMMARY_FIXED + row.times.length * 16;
}

/** Encodes rows into one buffer (callers cut chunks by `encodedSize`). */
export function encodeLeafHitRows(rows: readonly LeafHitRow[]): Buffer {
  const buffer = Buffer.allocUnsafe(rows.reduce((total, row) => total + encodedSize(row), 0));
  let at = 0;
  const f64 = (value: number | null) => {
    buffer.writeDoubleLE(value ?? Number.NaN, at);
    at += 8;
  };
  const id = (uuid: string) => {
    buffer.write(uuid.replace(/-/g, ''), at, 16, 'hex');
    at += 16;
  };
  for (const row of rows) {
    buffer.writeUInt8(row.kind === 'summary' ? 1 : 2, at++);
    buffer.writeUInt16LE(row.leaf, at);
    at += 2;
    id(row.profileId);
    if (row.kind === 'recent') {
      id(row.eventId);
      f64(row.time);
      f64(row.value);
      continue;
    }
    buffer.writeUInt32LE(row.n, at);
    buffer.writeUInt32LE(row.vn, at + 4);
    at += 8;
    [row.sum, row.min, row.max, row.first, row.last].forEach(f64);
    buffer.writeUInt32LE(row.times.length, at);
    at += 4;
    row.times.forEach((time, index) => {
      f64(time);
      f64(row.vals[index] ?? null);
    });
  }
  return buffer;
}

export function decodeLeafHitRows(buffer: Uint8Array): LeafHitRow[] {
  const view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const rows: LeafHitRow[] = [];
  let at = 0;
  const f64 = () => {
    const value = view.readDoubleLE(at);
    at += 8;
    return Number.isNaN(value) ? null : value;
  };
  const id = () => {
    const hex = view.toString('hex', at, at + 16);
    at += 16;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  while (at < view.length) {
    const kind = view.readUInt8(at++);
    const leaf = view.readUInt16LE(at);
    at += 2;
    const profileId = id();
    if (kind === 2) {
      const eventId = id();
      rows.push({ kind: 'recent', leaf, profileId, eventId, time: f64()!, value: f64() });
      continue;
    }
    if (kind !== 1) throw new Error(`leaf hit rows: unknown row kind ${kind} at byte ${at - 3}`);
    const n = view.readUInt32LE(at);
    const vn = view.readUInt32LE(at + 4);
    at += 8;
    const [sum, min, max, first, last] = [f64(), f64(), f64(), f64(), f64()];
    const k = view.readUInt32LE(at);
    at += 4;
    const times: number[] = [];
    const vals: (number | null)[] = [];
    for (let i = 0; i < k; i++) {
      times.push(f64()!);
      vals.push(f64());
    }
    rows.push({ kind: 'summary', leaf, profileId, n, vn, sum: sum ?? 0, min, max, first, last, times, vals });
  }
  return rows;
}
