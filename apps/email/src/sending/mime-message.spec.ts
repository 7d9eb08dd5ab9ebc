import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { buildMimeMessage, type MimeMessageParts } from './mime-message.js';

const parts = (overrides: Partial<MimeMessageParts> = {}): MimeMessageParts => ({
  from: { name: 'Brand "Shop" Ünïcode', address: 'news@brand.example' },
  to: 'ann@example.com',
  replyTo: 'care@brand.example',
  subject: 'Ann, your Ça-va cart — 20 % off, a subject long enough to be folded over more than one header line',
  messageId: '<4b7c1c1e-0000-4000-8000-000000000001@send.example>',
  date: new Date('2026-12-05T10:00:00Z'),
  headers: {
    'X-Boomerang-Send-Id': '4b7c1c1e-0000-4000-8000-000000000001',
    'List-Unsubscribe': '<https://t.example/t/u/abc>, <mailto:u+abc@bounces.example?subject=unsubscribe>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  text: 'Hello Ann,\nline with trailing spaces   \r\nand = signs, ünïcode, and a very long line '.repeat(4) + 'x'.repeat(300),
  html: `<!doctype html><html><head><script type="application/ld+json">{"@type":"DiscountOffer","description":"10% off"}</script></head><body><p>Hello Ann, <a href="https://t.example/t/c/xyz">go</a> ${'é'.repeat(200)}</p>\n<p>.</p>\n.\n</body></html>`,
  ...overrides,
});

const nodemailerBuilt = (p: MimeMessageParts) =>
  new MailComposer({ from: p.from, to: p.to, replyTo: p.replyTo ?? undefined, subject: p.subject, text: p.text, html: p.html, messageId: p.messageId, date: p.date, headers: p.headers })
    .compile()
    .build();

/** What a mail client reads of a message. */
const read = async (raw: Buffer) => {
  const parsed = await simpleParser(raw);
  return {
    from: parsed.from?.value,
    to: parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : parsed.to,
    replyTo: parsed.replyTo?.value,
    subject: parsed.subject,
    messageId: parsed.messageId,
    date: parsed.date?.toISOString(),
    text: parsed.text,
    html: parsed.html,
    sendId: parsed.headers.get('x-boomerang-send-id'),
    listUnsubscribe: parsed.headerLines.find((line) => line.key === 'list-unsubscribe')?.line,
    listUnsubscribePost: parsed.headers.get('list-unsubscribe-post'),
  };
};

describe('buildMimeMessage', () => {
  it('reads, to a mail parser, exactly as nodemailer\'s MailComposer message of the same parts', async () => {
    const p = parts();
    expect(await read(await buildMimeMessage(p))).toEqual(await read(await nodemailerBuilt(p)));
  });

  it('writes 7-bit lines of at most 78 characters, CRLF only, and no header a value could add', async () => {
    const raw = (await buildMimeMessage(parts({ subject: 'Hi\r\nBcc: victim@example.com' }))).toString('utf8');
    expect(/[^\t\r\n -~]/.test(raw)).toBe(false);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(raw).not.toMatch(/^Bcc:/m);
    expect((await simpleParser(raw)).subject).toBe('Hi Bcc: victim@example.com');
  });

  it('gives every message its own 24-hex-digit boundary, across refills of the random pool', async () => {
    const boundaries = new Set<string>();
    for (let n = 0; n < 2_100; n++) {
      const raw = (await buildMimeMessage(parts({ text: 'a', html: '<p>a</p>' }))).toString('utf8');
      const [, boundary] = /boundary="--_boomerang_([0-9a-f]{24})"/.exec(raw)!;
      boundaries.add(boundary!);
    }
    expect(boundaries.size).toBe(2_100);
  });

  it('leaves unusual addresses (non-ASCII, quoted) to nodemailer, which encodes them', async () => {
    const p = parts({ to: 'ann@exämple.com' });
    const raw = await buildMimeMessage(p);
    expect(raw.toString('utf8')).toMatch(/^To: ann@xn--exmple-cua\.com\r$/m);
    expect(await read(raw)).toEqual(await read(await nodemailerBuilt(p)));
  });
});
