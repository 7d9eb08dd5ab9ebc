/**
 * Quoted-printable (RFC 2045 §6.7) of a text part, in one pass over the string: UTF-8 bytes above
 * 0x7e, `=` and control characters as `=XX`, space or tab before a line break (or at the end) as
 * `=20`/`=09`, each line break (CRLF, CR or LF) written as CRLF, soft breaks (`=` CRLF) so no line passes 76 characters,
 * never inside an `=XX` nor between the bytes of one character. nodemailer's encoder and wrapper
 * (a Buffer copy, then a regex pass per line) were a tenth of a send's CPU; this writes the text's
 * UTF-8 natively into one reused buffer, encodes its bytes into another (literal bytes, the most
 * of a message, first) and makes one string.
 */
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
/** Characters on a line before the soft break's `=`. */
const LINE = 75;

let scratch = Buffer.allocUnsafe(64 * 1024);
/** The text's UTF-8, written natively (a lone surrogate becomes U+FFFD, as Buffer.from(text, 'utf8') writes it). */
let utf8 = Buffer.allocUnsafe(16 * 1024);

/** Whether a byte below 0x80 is written as itself (space and tab only where no line break follows: checked apart). */
const LITERAL = new Uint8Array(128).map((_, code) => (code >= 0x21 && code <= 0x7e && code !== 0x3d ? 1 : 0));

export function encodeQuotedPrintable(text: string): string {
  // A UTF-16 unit is at most 3 bytes (a surrogate pair 4 for two units).
  if (utf8.length < text.length * 3) utf8 = Buffer.allocUnsafe(text.length * 3);
  const length = utf8.write(text, 0, 'utf8');
  const src = utf8;
  // Each byte at most 3 characters; soft breaks add 3 per 72 or more.
  const most = length * 3 + Math.ceil((length * 3) / 60) * 3 + 16;
  if (scratch.length < most) scratch = Buffer.allocUnsafe(most);
  const out = scratch;
  let pos = 0;
  // Where the current line started in `out`.
  let lineStart = 0;
  for (let i = 0; i < length; i++) {
    const byte = src[i]!;
    if (byte < 0x80) {
      if (LITERAL[byte] === 1) {
        if (pos - lineStart >= LINE) {
          out[pos++] = 0x3d;
          out[pos++] = 0x0d;
          out[pos++] = 0x0a;
          lineStart = pos;
        }
        out[pos++] = byte;
        continue;
      }
      if (byte === 0x0d || byte === 0x0a) {
        out[pos++] = 0x0d;
        out[pos++] = 0x0a;
        lineStart = pos;
        if (byte === 0x0d && i + 1 < length && src[i + 1] === 0x0a) i++;
        continue;
      }
      let literal = false;
      if (byte === 0x20 || byte === 0x09) {
        const next = i + 1 < length ? src[i + 1]! : 0x0a;
        literal = next !== 0x0d && next !== 0x0a;
      }
      if (pos - lineStart + (literal ? 1 : 3) > LINE) {
        out[pos++] = 0x3d;
        out[pos++] = 0x0d;
        out[pos++] = 0x0a;
        lineStart = pos;
      }
      if (literal) out[pos++] = byte;
      else {
        out[pos++] = 0x3d;
        out[pos++] = HEX[byte >> 4]!;
        out[pos++] = HEX[byte & 15]!;
      }
      continue;
    }
    // A character's lead byte: room for all its bytes on this line (a soft break never splits a character).
    if (byte >= 0xc0) {
      const bytes = byte < 0xe0 ? 2 : byte < 0xf0 ? 3 : 4;
      if (pos - lineStart + bytes * 3 > LINE) {
        out[pos++] = 0x3d;
        out[pos++] = 0x0d;
        out[pos++] = 0x0a;
        lineStart = pos;
      }
    }
    out[pos++] = 0x3d;
    out[pos++] = HEX[byte >> 4]!;
    out[pos++] = HEX[byte & 15]!;
  }
  return out.toString('latin1', 0, pos);
}
