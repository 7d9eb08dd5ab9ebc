import fc from 'fast-check';
import { encode as nodemailerEncode, wrap as nodemailerWrap } from 'nodemailer/lib/qp';
import { encodeQuotedPrintable } from './quoted-printable.js';

const samples: Record<string, string> = {
  ascii: 'Hello Ann, your cart is waiting. '.repeat(20),
  'long word': 'x'.repeat(500),
  html: `<a href="https://t.example/t/c/abc?x=1&amp;y=2">go</a> = 10% off\t<b>now</b>`.repeat(10),
  'trailing blanks': 'line with trailing spaces   \r\nand a tab\t\r\nend ',
  'line breaks of every kind': 'a\nb\rc\r\nd\n\ne',
  accents: 'Ça va, Zoë? Ünïcode '.repeat(30) + 'é'.repeat(200),
  'astral and lone surrogates': `emoji 🎉🛒 ${'🎁'.repeat(40)} lone \ud800 and \udc00 end`,
  'control characters': 'nul\u0000 bell\u0007 del\u007f',
  dots: '.\r\n..\r\n.line',
  'blanks at a full line\'s end': `${'x'.repeat(74)} \n${'y'.repeat(75)}\t\r\n${' '.repeat(160)}\n\t`,
};

/** RFC 2045 decoding: soft breaks dropped, each =XX its byte. */
const decode = (encoded: string): Buffer => {
  const bytes: number[] = [];
  const text = encoded.replace(/=\r\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes);
};

/** What nodemailer's encoder makes of the same text with its line breaks normalised (the previous encoding). */
const nodemailerQp = (text: string) => nodemailerWrap(nodemailerEncode(text.replace(/\r\n|\r|\n/g, '\r\n')), 76);

describe('encodeQuotedPrintable', () => {
  it.each(Object.entries(samples))('%s: decodes to the UTF-8 of the text (line breaks as CRLF), as nodemailer\'s encoding does', (_, text) => {
    const encoded = encodeQuotedPrintable(text);
    const expected = Buffer.from(text.replace(/\r\n|\r|\n/g, '\r\n'), 'utf8');
    expect(decode(encoded)).toEqual(expected);
    expect(decode(nodemailerQp(text))).toEqual(expected);
  });

  it.each(Object.entries(samples))('%s: 7-bit lines of at most 76 characters, CRLF only, no blank before a break', (_, text) => {
    const encoded = encodeQuotedPrintable(text);
    expect(/[^\t\r\n -~]/.test(encoded)).toBe(false);
    expect(encoded.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of encoded.split('\r\n')) {
      expect(line.length).toBeLessThanOrEqual(76);
      expect(line).not.toMatch(/[ \t]$/);
      // a soft break never cuts an =XX
      expect(line).not.toMatch(/=[0-9A-F]?=$/);
    }
  });

  it('never splits the bytes of one character over two lines', () => {
    const encoded = encodeQuotedPrintable('a'.repeat(70) + 'é🎉ü'.repeat(20));
    for (const line of encoded.split('=\r\n')) expect(() => new TextDecoder('utf-8', { fatal: true }).decode(decode(line))).not.toThrow();
  });

  it('grows its buffer for a text longer than any before', () => {
    const text = 'é'.repeat(100_000);
    expect(decode(encodeQuotedPrintable(text)).toString('utf8')).toBe(text);
  });

  it('keeps every rule for any text (property: any code points, lone surrogates, blanks, dots and line breaks anywhere)', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', maxLength: 120 }),
      fc.constantFrom(' ', '\t', '\r', '\n', '\r\n', '=', '.', '\ud800', '\udfff', 'é', '🎉', ' \r\n', '\t\n', 'x'.repeat(73), ' '.repeat(80)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const text = pieces.join('');
        const encoded = encodeQuotedPrintable(text);
        expect(decode(encoded)).toEqual(Buffer.from(text.replace(/\r\n|\r|\n/g, '\r\n'), 'utf8'));
        expect(/[^\t\r\n -~]/.test(encoded)).toBe(false);
        for (const line of encoded.split('\r\n')) {
          expect(line.length).toBeLessThanOrEqual(76);
          expect(line).not.toMatch(/[ \t]$/);
          expect(line).not.toMatch(/=[0-9A-F]?=$/);
          // No line starts with a dot: SMTP would need to stuff it.
          expect(line).not.toMatch(/^\./);
        }
        for (const line of encoded.split('=\r\n')) expect(() => new TextDecoder('utf-8', { fatal: true }).decode(decode(line))).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
