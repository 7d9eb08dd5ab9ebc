import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What a token opens: the open pixel, a link (`n`: its index in the sent message), unsubscribe. */
export type TrackingKind = 'open' | 'click' | 'unsubscribe';

export interface TrackingClaim {
  kind: TrackingKind;
  sendId: string;
  /** Click: the link's index among the URLs stored for the send. */
  n: number;
}

/** The kind byte of tokens signed one HMAC a token (still verified: sent messages carry them). */
const KIND_BYTES_V1: Record<TrackingKind, number> = { open: 0x6f, click: 0x63, unsubscribe: 0x75 };
/** The kind byte of tokens whose tags are slices of their message's tag blocks. */
const KIND_BYTES: Record<TrackingKind, number> = { open: 0x4f, click: 0x43, unsubscribe: 0x55 };
const KINDS = new Map<number, { kind: TrackingKind; blocks: boolean }>([
  ...Object.entries(KIND_BYTES_V1).map(([kind, byte]) => [byte, { kind: kind as TrackingKind, blocks: false }] as const),
  ...Object.entries(KIND_BYTES).map(([kind, byte]) => [byte, { kind: kind as TrackingKind, blocks: true }] as const),
]);
const TAG_BYTES = 16;
const BODY_BYTES = 1 + 16 + 2;
/** Tags in one block: an HMAC-SHA512 (64 bytes) cut in four. */
const TAGS_PER_BLOCK = 4;

/** A token's place among its message's tags: the open pixel, unsubscribe, then each link. */
const slotOf = (kind: TrackingKind, n: number) => (kind === 'open' ? 0 : kind === 'unsubscribe' ? 1 : 2 + n);

/**
 * Signed, tamper-proof tracking tokens: kind, send id and link index (19 bytes) with a 128-bit tag,
 * base64url — 47 characters, short enough for an address's local part (`u+<token>@…`, at most 64).
 * A message's tags come from HMAC-SHA512 blocks over its send id and the block's number, keyed
 * (HKDF) from INTERNAL_SIGNING_SECRET: each 64-byte block is four tags, one per token (the open
 * pixel, unsubscribe, then the links in order), so a message with two links costs one HMAC, not
 * four, and each token still verifies alone (its tag is its own slice of a keyed PRF's output;
 * another link's tag says nothing of it). Tokens signed before, one HMAC-SHA256 each over the
 * body, are still verified.
 */
export class TrackingTokens {
  private readonly keyV1: Buffer;
  private readonly key: Buffer;
  /** The blocks of the message signed last (its tokens are signed one after another). */
  private blocksOf = { sendId: '', blocks: [] as Buffer[] };

  constructor(secret: string) {
    this.keyV1 = Buffer.from(hkdfSync('sha256', secret, 'boomerang-email', 'tracking-tokens', 32));
    this.key = Buffer.from(hkdfSync('sha256', secret, 'boomerang-email', 'tracking-tokens-blocks', 64));
  }

  sign(kind: TrackingKind, sendId: string, n = 0): string {
    const token = Buffer.alloc(BODY_BYTES + TAG_BYTES);
    token[0] = KIND_BYTES[kind];
    token.write(sendId.replace(/-/g, ''), 1, 16, 'hex');
    // Only a click names a link; the other kinds have a slot of their own.
    if (kind === 'click') token.writeUInt16BE(n, 17);
    if (this.blocksOf.sendId !== sendId) this.blocksOf = { sendId, blocks: [] };
    const slot = slotOf(kind, n);
    const block = Math.floor(slot / TAGS_PER_BLOCK);
    const tags = (this.blocksOf.blocks[block] ??= this.block(token.subarray(1, 17), block));
    tags.copy(token, BODY_BYTES, (slot % TAGS_PER_BLOCK) * TAG_BYTES, (slot % TAGS_PER_BLOCK + 1) * TAG_BYTES);
    return token.toString('base64url');
  }

  /** The claim, or null for anything not signed by this key (altered, truncated, another kind). */
  verify(token: string, kind: TrackingKind): TrackingClaim | null {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== BODY_BYTES + TAG_BYTES) return null;
    const body = bytes.subarray(0, BODY_BYTES);
    const signed = KINDS.get(body[0]!);
    if (signed?.kind !== kind) return null;
    const n = body.readUInt16BE(17);
    let expected: Buffer;
    if (!signed.blocks) expected = this.tagV1(body);
    else {
      if (kind !== 'click' && n !== 0) return null;
      const slot = slotOf(kind, n);
      const at = (slot % TAGS_PER_BLOCK) * TAG_BYTES;
      expected = this.block(body.subarray(1, 17), Math.floor(slot / TAGS_PER_BLOCK)).subarray(at, at + TAG_BYTES);
    }
    if (!timingSafeEqual(bytes.subarray(BODY_BYTES), expected)) return null;
    const hex = body.subarray(1, 17).toString('hex');
    return { kind, sendId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`, n };
  }

  /** Four tags of a message: HMAC-SHA512 over its send id's 16 bytes and the block's number. */
  private block(sendId: Buffer, block: number): Buffer {
    const input = Buffer.alloc(18);
    sendId.copy(input, 0);
    input.writeUInt16BE(block, 16);
    return createHmac('sha512', this.key).update(input).digest();
  }

  private tagV1(body: Buffer): Buffer {
    return createHmac('sha256', this.keyV1).update(body).digest().subarray(0, TAG_BYTES);
  }
}
