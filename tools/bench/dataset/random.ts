// Seeded randomness for the bench data set: the same seed gives the same rows on every machine.

/** A well-spread 32-bit number for a 32-bit input (murmur3's finaliser). */
export function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One 32-bit seed from several numbers (a seed, a stream, an index…), each mixed in turn. */
export function seedOf(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) h = mix32((h ^ mix32(part >>> 0)) + 0x7f4a7c15 + Math.imul(h, 31));
  return h >>> 0;
}

/** sfc32 (Chris Doty-Humphrey's small fast counter generator): fast, 128 bits of state, passes PractRand. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x243f6a88;
    this.b = mix32(seed ^ 0xa5a5a5a5);
    this.c = mix32(seed);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next32();
  }

  /** A uniform 32-bit unsigned integer. */
  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.next32() / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Failures before the first success, each trial succeeding with `p`. */
  geometric(p: number): number {
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p));
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-uniform in [min, max]: as many values in each factor of ten. */
  logUniform(min: number, max: number): number {
    return min * Math.exp(this.next() * Math.log(max / min));
  }
}

/** Items with weights, drawn in O(log n) from a cumulative table. */
export class Weighted<T> {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(readonly items: readonly T[], weights: readonly number[]) {
    let sum = 0;
    for (const weight of weights) this.cumulative.push((sum += weight));
    this.total = sum;
  }

  /** The index of the item drawn. */
  index(random: Random): number {
    const target = random.next() * this.total;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.cumulative[mid]! > target) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  draw(random: Random): T {
    return this.items[this.index(random)]!;
  }
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Eight hex digits of a 32-bit number. */
function hex32(value: number): string {
  return HEX[value >>> 24]! + HEX[(value >>> 16) & 0xff]! + HEX[(value >>> 8) & 0xff]! + HEX[value & 0xff]!;
}

/** A version 4 UUID from the generator (random ids, as `randomUUID()` mints for profiles and SDKs for devices). */
export function uuid4(random: Random): string {
  const a = random.next32();
  const b = random.next32();
  const c = random.next32();
  const d = random.next32();
  const h = hex32(b);
  const cx = hex32(c);
  return `${hex32(a)}-${h.slice(0, 4)}-4${h.slice(5, 8)}-${HEX[0x80 | ((c >>> 24) & 0x3f)]}${cx.slice(2, 4)}-${cx.slice(4, 8)}${hex32(d)}`;
}

/** A version 7 UUID for the millisecond `time` (what ingest mints: time-ordered ids), its random bits from the generator. */
export function uuid7(time: number, random: Random): string {
  const high = Math.floor(time / 65536);
  const low = time % 65536;
  const b = random.next32();
  const c = random.next32();
  const d = random.next32();
  const h = hex32(high);
  const bx = hex32(b);
  return `${h}-${HEX[low >>> 8]}${HEX[low & 0xff]}-7${bx.slice(1, 4)}-${HEX[0x80 | ((c >>> 24) & 0x3f)]}${hex32(c).slice(2, 4)}-${bx.slice(4, 8)}${hex32(d)}`;
}

/** `count` hex digits from the generator. */
export function hexDigits(random: Random, count: number): string {
  let text = '';
  while (text.length < count) text += hex32(random.next32());
  return text.slice(0, count);
}
