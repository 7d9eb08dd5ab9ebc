import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { encodeWords, foldLines, isPlainText } from 'nodemailer/lib/mime-funcs';
import { quotedPrintableRoom, writeQuotedPrintable } from './quoted-printable.js';

export interface MimeAddress {
  name: string;
  address: string;
}

/** One recipient's message: every value already rendered; `headers` are ASCII (ours: ids, URLs). */
export interface MimeMessageParts {
  from: MimeAddress;
  to: string;
  replyTo: string | null;
  subject: string;
  messageId: string;
  date: Date;
  headers: Record<string, string>;
  text: string;
  html: string;
}

/** Addresses written as they are: ASCII, no quotes, brackets or line breaks (anything else goes through nodemailer). */
const PLAIN_ADDRESS = /^[\x21-\x7e]+@[\x21-\x7e]+$/;
const UNSAFE_IN_ADDRESS = /["<>()\\,;:\s[\]]/;

const NONCE_BYTES = 12;
const NONCES_PER_DRAW = 1024;
let nonces = Buffer.alloc(0);
let noncesUsed = NONCES_PER_DRAW;

/** 12 random bytes as hex for a MIME boundary, drawn from a pool refilled every 1,024 messages: one randomBytes(12) per message cost ~14 µs, a slice of the pool ~0.2 µs. */
function boundaryNonce(): string {
  if (noncesUsed === NONCES_PER_DRAW) {
    nonces = randomBytes(NONCE_BYTES * NONCES_PER_DRAW);
    noncesUsed = 0;
  }
  return nonces.toString('hex', NONCE_BYTES * noncesUsed, NONCE_BYTES * ++noncesUsed);
}

/** Where messages are built before their bytes are copied out, each into an ArrayBuffer of its own (grown as needed). */
let building = Buffer.allocUnsafe(128 * 1024);

/**
 * Builds the message nodemailer's MailComposer would (multipart/alternative: text then HTML, UTF-8,
 * quoted-printable, encoded-word headers) without its per-part stream pipeline: most of a send's
 * CPU went there. Header encoders are nodemailer's own; the parts are written quoted-printable
 * (`quoted-printable.ts`) straight into the message's bytes, no string of them made. The Buffer
 * returned owns its ArrayBuffer (it can be transferred to another thread).
 * Unusual addresses (non-ASCII, quoted local parts) are left to MailComposer itself.
 */
export async function buildMimeMessage(parts: MimeMessageParts): Promise<Buffer> {
  const addresses = [parts.from.address, parts.to, ...(parts.replyTo ? [parts.replyTo] : [])];
  if (!addresses.every((address) => PLAIN_ADDRESS.test(address) && !UNSAFE_IN_ADDRESS.test(address))) return composedByNodemailer(parts);
  const boundary = `--_boomerang_${boundaryNonce()}`;
  const head = [
    headerLine('From', mailbox(parts.from)),
    headerLine('To', parts.to),
    ...(parts.replyTo ? [headerLine('Reply-To', parts.replyTo)] : []),
    headerLine('Subject', encodedText(parts.subject)),
    headerLine('Message-ID', parts.messageId),
    ...Object.entries(parts.headers).map(([name, value]) => headerLine(name, value)),
    headerLine('Date', parts.date.toUTCString().replace(/GMT$/, '+0000')),
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ].join('\r\n');
  const sections = [`${head}\r\n\r\n--${boundary}\r\n${partHead('text/plain')}`, `\r\n--${boundary}\r\n${partHead('text/html')}`, `\r\n--${boundary}--\r\n`];
  // Headers are ASCII (encoded words), at most 3 bytes a unit all the same.
  const most = 3 * (sections[0]!.length + sections[1]!.length + sections[2]!.length) + quotedPrintableRoom(parts.text) + quotedPrintableRoom(parts.html);
  if (building.length < most) building = Buffer.allocUnsafe(most);
  let at = building.write(sections[0]!, 0, 'utf8');
  at = writeQuotedPrintable(parts.text, building, at);
  at += building.write(sections[1]!, at, 'utf8');
  at = writeQuotedPrintable(parts.html, building, at);
  at += building.write(sections[2]!, at, 'utf8');
  const message = Buffer.allocUnsafeSlow(at);
  building.copy(message, 0, 0, at);
  return message;
}

function partHead(type: string): string {
  return `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
}

function headerLine(name: string, value: string): string {
  // Rendered values are one line already (see the composer); a stray break must never start a header.
  return foldLines(`${name}: ${value.replace(/[\r\n]+/g, ' ')}`, 76);
}

function encodedText(value: string): string {
  return isPlainText(value) ? value : encodeWords(value, 'Q', 52);
}

function mailbox({ name, address }: MimeAddress): string {
  if (!name) return address;
  const display = isPlainText(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : encodeWords(name, 'Q', 52);
  return `${display} <${address}>`;
}

function composedByNodemailer(parts: MimeMessageParts): Promise<Buffer> {
  return new MailComposer({
    from: parts.from,
    to: parts.to,
    replyTo: parts.replyTo ?? undefined,
    subject: parts.subject,
    text: parts.text,
    html: parts.html,
    messageId: parts.messageId,
    date: parts.date,
    headers: parts.headers,
  })
    .compile()
    .build();
}
