import { hkdfSync, timingSafeEqual } from 'node:crypto';
import { ShortMessageHmac } from './hmac-sha256-short.js';

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
  private readonly hmac: ShortMessageHmac;
  /** The token being signed (body, then tag), reused: a sent message signs four. */
  private readonly token = Buffer.alloc(BODY_BYTES + TAG_BYTES);
  private readonly body = this.token.subarray(0, BODY_BYTES);

  constructor(secret: string) {
    this.hmac = new ShortMessageHmac(Buffer.from(hkdfSync('sha256', secret, 'boomerang-email', 'tracking-tokens', 32)), TAG_BYTES);
  }

  sign(kind: TrackingKind, sendId: string, n = 0): string {
    const body = this.body;
    body[0] = KIND_BYTES[kind];
    writeUuid(body, 1, sendId);
    body.writeUInt16BE(n, 17);
    this.hmac.tag(body, this.token, BODY_BYTES);
    return this.token.toString('base64url');
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
    return Buffer.from(this.hmac.tag(body));
  }
}

/** Where each byte's two hex digits start in a canonical UUID (dashes at 8, 13, 18 and 23). */
const UUID_BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** The send id's 16 bytes at `at`: a canonical UUID read directly, anything else as `Buffer.from(<without dashes>, 'hex')` reads it. */
function writeUuid(into: Buffer, at: number, sendId: string): void {
  const canonical = sendId.length === 36 && [8, 13, 18, 23].every((dash) => sendId.charCodeAt(dash) === 0x2d);
  for (let n = 0; canonical && n < 16; n++) {
    const high = hexValue(sendId.charCodeAt(UUID_BYTE_AT[n]!));
    const low = hexValue(sendId.charCodeAt(UUID_BYTE_AT[n]! + 1));
    if (high < 0 || low < 0) break;
    into[at + n] = (high << 4) | low;
    if (n === 15) return;
  }
  into.fill(0, at, at + 16);
  Buffer.from(sendId.replace(/-/g, ''), 'hex').copy(into, at, 0, 16);
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}
