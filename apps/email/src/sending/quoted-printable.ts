/**
 * Quoted-printable (RFC 2045 §6.7) of a text part, in one pass over the string: UTF-8 bytes above
 * 0x7e, `=` and control characters as `=XX`, space or tab before a line break (or at the end) as
 * `=20`/`=09`, a dot that starts a line as `=2E`, each line break (CRLF, CR or LF) written as CRLF, soft breaks (`=` CRLF) so no line passes 76 characters,
 * never inside an `=XX` nor between the bytes of one character. nodemailer's encoder and wrapper
 * (a Buffer copy, then a regex pass per line) were a tenth of a send's CPU; this writes the text's
 * UTF-8 natively into one reused buffer and encodes its bytes (literal bytes, the most of a
 * message, first) straight into the caller's buffer (`writeQuotedPrintable`: the message being
 * built) or into a string (`encodeQuotedPrintable`).
 */
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
/** Characters on a line before the soft break's `=`. */
const LINE = 75;

let scratch = Buffer.allocUnsafe(64 * 1024);
/** The text's UTF-8, written natively (a lone surrogate becomes U+FFFD, as Buffer.from(text, 'utf8') writes it). */
let utf8 = Buffer.allocUnsafe(16 * 1024);

/** Bytes written as themselves: printable ASCII but `=`, and blanks (one that ends a line is rewritten `=20`/`=09` when the break comes: `blankEncoded`). */
const LITERAL = new Uint8Array(256).map((_, code) => ((code >= 0x21 && code <= 0x7e && code !== 0x3d) || code === 0x20 || code === 0x09 ? 1 : 0));

export function encodeQuotedPrintable(text: string): string {
  const most = quotedPrintableRoom(text);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(most);
  return scratch.toString('latin1', 0, writeQuotedPrintable(text, scratch, 0));
}

/** Bytes `writeQuotedPrintable` may write for `text`: a UTF-16 unit is at most 3 bytes, each byte at most 3 characters, and soft breaks add 3 per 72 or more. */
export function quotedPrintableRoom(text: string): number {
  return text.length * 9 + Math.ceil((text.length * 9) / 60) * 3 + 16;
}

/** Writes `text` quoted-printable into `out` from `at` (room for `quotedPrintableRoom(text)` bytes); returns where it ended. */
export function writeQuotedPrintable(text: string, out: Buffer, at: number): number {
  // A UTF-16 unit is at most 3 bytes (a surrogate pair 4 for two units).
  if (utf8.length < text.length * 3) utf8 = Buffer.allocUnsafe(text.length * 3);
  const length = utf8.write(text, 0, 'utf8');
  const src = utf8;
  let pos = at;
  // Where the current line started in `out`.
  let lineStart = at;
  let i = 0;
  while (i < length) {
    if (pos === lineStart && src[i] === 0x2e) {
      // A dot that starts a line as `=2E`: the message then needs no dot-stuffing for SMTP, and goes out as it is (smtp-dot-stuffing.mjs).
      out[pos++] = 0x3d;
      out[pos++] = 0x32;
      out[pos++] = 0x45;
      i++;
      continue;
    }
    // A run of literal bytes (most of a message), as far as the line has room: one load, lookup and store a byte.
    let end = i + lineStart + LINE - pos;
    if (end > length) end = length;
    for (let byte; i < end && LITERAL[(byte = src[i]!)] === 1; i++) out[pos++] = byte;
    if (i === length) break;
    const byte = src[i]!;
    if (LITERAL[byte] === 1) {
      // The line is full.
      out[pos++] = 0x3d;
      out[pos++] = 0x0d;
      out[pos++] = 0x0a;
      lineStart = pos;
      continue;
    }
    if (byte === 0x0d || byte === 0x0a) {
      pos = blankEncoded(out, pos, lineStart);
      out[pos++] = 0x0d;
      out[pos++] = 0x0a;
      lineStart = pos;
      i += byte === 0x0d && i + 1 < length && src[i + 1] === 0x0a ? 2 : 1;
      continue;
    }
    // `=`, a control character or a character's lead byte: room for all its bytes on this line (a soft break never splits a character).
    const room = byte < 0xc0 ? 3 : byte < 0xe0 ? 6 : byte < 0xf0 ? 9 : 12;
    if (pos - lineStart + room > LINE) lineStart = pos = softBreak(out, pos);
    out[pos++] = 0x3d;
    out[pos++] = HEX[byte >> 4]!;
    out[pos++] = HEX[byte & 15]!;
    i++;
  }
  return blankEncoded(out, pos, lineStart);
}

function softBreak(out: Buffer, pos: number): number {
  out[pos] = 0x3d;
  out[pos + 1] = 0x0d;
  out[pos + 2] = 0x0a;
  return pos + 3;
}

/** A blank that ends a line (written as itself by the run) becomes `=20`/`=09`, after a soft break when it does not fit. */
function blankEncoded(out: Buffer, end: number, lineStart: number): number {
  const last = out[end - 1]!;
  if (end === lineStart || (last !== 0x20 && last !== 0x09)) return end;
  let pos = end - 1;
  if (pos - lineStart + 3 > LINE) pos = softBreak(out, pos);
  out[pos++] = 0x3d;
  out[pos++] = HEX[last >> 4]!;
  out[pos++] = HEX[last & 15]!;
  return pos;
}
