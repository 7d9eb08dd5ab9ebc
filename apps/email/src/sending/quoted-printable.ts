/**
 * Quoted-printable (RFC 2045 §6.7) of a text part, in one pass over the string: UTF-8 bytes above
 * 0x7e, `=` and control characters as `=XX`, space or tab before a line break (or at the end) as
 * `=20`/`=09`, each line break (CRLF, CR or LF) written as CRLF, soft breaks (`=` CRLF) so no line passes 76 characters,
 * never inside an `=XX` nor between the bytes of one character. nodemailer's encoder and wrapper
 * (a Buffer copy, then a regex pass per line) were a tenth of a send's CPU; this writes into one
 * reused buffer and makes one string.
 */
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
/** Characters on a line before the soft break's `=`. */
const LINE = 75;

let scratch = Buffer.allocUnsafe(64 * 1024);

/** Whether a character below 0x80 is written as itself (space and tab only where no line break follows: checked apart). */
const LITERAL = new Uint8Array(128).map((_, code) => (code >= 0x21 && code <= 0x7e && code !== 0x3d ? 1 : 0));

export function encodeQuotedPrintable(text: string): string {
  // A UTF-16 unit is at most 3 bytes (4 for a surrogate pair), each 3 characters; soft breaks add 3 per 60 or more.
  const most = text.length * 9 + Math.ceil((text.length * 9) / 60) * 3 + 16;
  if (scratch.length < most) scratch = Buffer.allocUnsafe(most);
  const out = scratch;
  const length = text.length;
  let pos = 0;
  // Where the current line started in `out`.
  let lineStart = 0;
  for (let i = 0; i < length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      if (code === 0x0d || code === 0x0a) {
        out[pos++] = 0x0d;
        out[pos++] = 0x0a;
        lineStart = pos;
        if (code === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++;
        continue;
      }
      let literal = LITERAL[code] === 1;
      if (code === 0x20 || code === 0x09) {
        const next = i + 1 < length ? text.charCodeAt(i + 1) : 0x0a;
        literal = next !== 0x0d && next !== 0x0a;
      }
      const width = literal ? 1 : 3;
      if (pos - lineStart + width > LINE) {
        out[pos++] = 0x3d;
        out[pos++] = 0x0d;
        out[pos++] = 0x0a;
        lineStart = pos;
      }
      if (literal) out[pos++] = code;
      else {
        out[pos++] = 0x3d;
        out[pos++] = HEX[code >> 4]!;
        out[pos++] = HEX[code & 15]!;
      }
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // A lone surrogate becomes U+FFFD, as Buffer.from(text, 'utf8') writes it.
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    const bytes = code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (pos - lineStart + bytes * 3 > LINE) {
      out[pos++] = 0x3d;
      out[pos++] = 0x0d;
      out[pos++] = 0x0a;
      lineStart = pos;
    }
    // The lead byte, then the continuation bytes (6 bits each, high bits first).
    const lead = bytes === 2 ? 0xc0 | (code >> 6) : bytes === 3 ? 0xe0 | (code >> 12) : 0xf0 | (code >> 18);
    out[pos++] = 0x3d;
    out[pos++] = HEX[lead >> 4]!;
    out[pos++] = HEX[lead & 15]!;
    for (let shift = (bytes - 2) * 6; shift >= 0; shift -= 6) {
      const byte = 0x80 | ((code >> shift) & 0x3f);
      out[pos++] = 0x3d;
      out[pos++] = HEX[byte >> 4]!;
      out[pos++] = HEX[byte & 15]!;
    }
  }
  return out.toString('latin1', 0, pos);
}
