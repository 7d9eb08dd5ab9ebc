import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What a token opens: the open pixel, a link (`n`: its index in the sent message), unsubscribe. */
export type TrackingKind = 'open' | 'click' | 'unsubscribe';

export interface TrackingClaim {
  kind: TrackingKind;
  sendId: string;
  /** Click: the link's index among the URLs stored for the send. */
  n: number;
}

const KIND_BYTES: Record<TrackingKind, number> = { open: 0x6f, click: 0x63, unsubscribe: 0x75 };
const KINDS = new Map(Object.entries(KIND_BYTES).map(([kind, byte]) => [byte, kind as TrackingKind]));
const TAG_BYTES = 16;
const BODY_BYTES = 1 + 16 + 2;

/**
 * Signed, tamper-proof tracking tokens: kind, send id and link index (19 bytes) with a 128-bit
 * HMAC-SHA256 tag under a key derived (HKDF) from INTERNAL_SIGNING_SECRET, base64url — 47
 * characters, short enough for an address's local part (`u+<token>@…`, at most 64).
 */
export class TrackingTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'boomerang-email', 'tracking-tokens', 32));
  }

  sign(kind: TrackingKind, sendId: string, n = 0): string {
    const body = Buffer.alloc(BODY_BYTES);
    body[0] = KIND_BYTES[kind];
    Buffer.from(sendId.replace(/-/g, ''), 'hex').copy(body, 1);
    body.writeUInt16BE(n, 17);
    return Buffer.concat([body, this.tag(body)]).toString('base64url');
  }

  /** The claim, or null for anything not signed by this key (altered, truncated, another kind). */
  verify(token: string, kind: TrackingKind): TrackingClaim | null {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== BODY_BYTES + TAG_BYTES) return null;
    const body = bytes.subarray(0, BODY_BYTES);
    if (!timingSafeEqual(bytes.subarray(BODY_BYTES), this.tag(body)) || KINDS.get(body[0]!) !== kind) return null;
    const hex = body.subarray(1, 17).toString('hex');
    return { kind, sendId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`, n: body.readUInt16BE(17) };
  }

  private tag(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, TAG_BYTES);
  }
}
