import fc from 'fast-check';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream.js';
import { buildMimeMessage } from './mime-message.js';
import { installFastDotStuffing, needsNoStuffing } from './smtp-dot-stuffing.mjs';

/** DataStream with the fast path; DataStream itself stays nodemailer's own, the reference. */
class FastDataStream extends (DataStream as unknown as new () => import('node:stream').Transform) {}

/** What a stream of `Stream` writes for `chunks`, and its byte counters. */
const through = (Stream: new () => import('node:stream').Transform, chunks: readonly Buffer[]) =>
  new Promise<{ out: string; inByteCount: number; outByteCount: number }>((resolve, reject) => {
    const stream = new Stream() as import('node:stream').Transform & { inByteCount: number; outByteCount: number };
    const out: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => out.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve({ out: Buffer.concat(out).toString('latin1'), inByteCount: stream.inByteCount, outByteCount: stream.outByteCount }));
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });

describe('fast dot-stuffing (nodemailer DataStream)', () => {
  beforeAll(() => {
    expect(installFastDotStuffing(FastDataStream)).toBe(true);
  });

  it('writes what nodemailer writes, byte for byte, for any chunks of CR, LF, dots and text', async () => {
    const byte = fc.constantFrom(0x0d, 0x0a, 0x2e, 0x61, 0x20, 0xc3);
    const chunk = fc.array(byte, { minLength: 0, maxLength: 24 }).map((bytes) => Buffer.from(bytes));
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { maxLength: 6 }), async (chunks) => {
        expect(await through(FastDataStream, chunks)).toEqual(await through(DataStream as never, chunks));
      }),
      { numRuns: 3000 },
    );
  });

  it('passes CRLF lines without leading dots as they are, and finds each case that needs a change', () => {
    const clean = Buffer.from('Subject: hi\r\n\r\nline one\r\n..\r\n');
    expect(needsNoStuffing(Buffer.from('a\r\nb.c\r\n'), false)).toBe(true);
    expect(needsNoStuffing(clean, false)).toBe(false); // "..": a line starting with a dot
    expect(needsNoStuffing(Buffer.from('.a\r\n'), false)).toBe(false); // a dot at the stream's start
    expect(needsNoStuffing(Buffer.from('.a\r\n'), 0x0a)).toBe(false); // a dot after the last chunk's LF
    expect(needsNoStuffing(Buffer.from('.a\r\n'), 0x61)).toBe(true);
    expect(needsNoStuffing(Buffer.from('a\nb'), false)).toBe(false); // a bare LF
    expect(needsNoStuffing(Buffer.from('a\rb'), false)).toBe(false); // a bare CR
    expect(needsNoStuffing(Buffer.from('a\r'), false)).toBe(true); // its LF may come first in the next chunk
    expect(needsNoStuffing(Buffer.from('\na'), 0x0d)).toBe(true);
    expect(needsNoStuffing(Buffer.from('a'), 0x0d)).toBe(false);
  });

  it('takes the fast path for the messages email builds, lines starting with a dot too', async () => {
    const raw = await buildMimeMessage({
      from: { name: 'Shop', address: 'news@brand.example' },
      to: 'ann@example.com',
      replyTo: null,
      subject: 'Your cart',
      messageId: '<1@send.example>',
      date: new Date('2026-12-05T10:00:00Z'),
      headers: {},
      text: 'Hello Ann,\n.\nA line that starts with a dot above, and a long one: ' + 'x'.repeat(300),
      html: `<p>Hello</p>\n.\n<p>${'é'.repeat(200)}</p>`,
    });
    expect(needsNoStuffing(raw, false)).toBe(true);
  });

  it('changes nothing on a stream class that is not DataStream as it was written against', () => {
    class Other extends (DataStream as unknown as new () => import('node:stream').Transform) {
      constructor() {
        super();
        (this as unknown as { lastByte: number }).lastByte = 0;
      }
    }
    expect(installFastDotStuffing(Other)).toBe(false);
  });
});
