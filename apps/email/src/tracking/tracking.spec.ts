import { createHmac, hkdfSync, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { trackHtml } from './tracked-html.js';
import { TrackingTokens } from './tracking-tokens.js';

describe('TrackingTokens', () => {
  const sut = new TrackingTokens('a-signing-secret-long-enough-for-the-test');
  const sendId = randomUUID();

  it('round-trips kind, send id and link index in 47 characters', () => {
    const token = sut.sign('click', sendId, 7);
    expect(token).toHaveLength(47);
    expect(sut.verify(token, 'click')).toEqual({ kind: 'click', sendId, n: 7 });
  });

  it('refuses a token altered in any byte, of another kind, truncated or signed with another key', () => {
    const token = sut.sign('click', sendId, 1);
    const bytes = Buffer.from(token, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i] ^= 0x01;
      expect(sut.verify(altered.toString('base64url'), 'click')).toBeNull();
    }
    expect(sut.verify(token, 'open')).toBeNull();
    expect(sut.verify(token.slice(0, -2), 'click')).toBeNull();
    expect(sut.verify('../../etc/passwd', 'click')).toBeNull();
    expect(new TrackingTokens('another-secret-long-enough-for-the-test').verify(token, 'click')).toBeNull();
  });
});

describe('trackHtml', () => {
  it('rewrites http(s) anchors to click URLs, keeps the originals by index, leaves others and adds the pixel', () => {
    const html = `<html><body><a href="https://shop.example/a?x=1&amp;y=2">A</a> <a class="b" href='http://b.example/'>B</a> <a href="mailto:x@y.example">M</a> <img src="https://img.example/i.png"></body></html>`;
    const sut = trackHtml(html, (n) => `https://t.example/c/${n}`, 'https://t.example/o/x');
    expect(sut.links).toEqual(['https://shop.example/a?x=1&y=2', 'http://b.example/']);
    expect(sut.html).toContain(`<a href="https://t.example/c/0">A</a>`);
    expect(sut.html).toContain(`<a class="b" href='https://t.example/c/1'>B</a>`);
    expect(sut.html).toContain('href="mailto:x@y.example"');
    expect(sut.html).toContain('src="https://img.example/i.png"');
    expect(sut.html).toMatch(/<img src="https:\/\/t\.example\/o\/x"[^>]*\/><\/body><\/html>$/);
  });
});

describe('TrackingTokens signing', () => {
  // The tag as it was computed before the JavaScript HMAC (node:crypto over a fresh buffer): tokens already sent must keep verifying.
  const reference = (secret: string, kind: 'open' | 'click' | 'unsubscribe', sendId: string, n: number) => {
    const key = Buffer.from(hkdfSync('sha256', secret, 'boomerang-email', 'tracking-tokens', 32));
    const body = Buffer.alloc(19);
    body[0] = { open: 0x6f, click: 0x63, unsubscribe: 0x75 }[kind];
    Buffer.from(sendId.replace(/-/g, ''), 'hex').copy(body, 1);
    body.writeUInt16BE(n, 17);
    return Buffer.concat([body, createHmac('sha256', key).update(body).digest().subarray(0, 16)]).toString('base64url');
  };

  it('writes the very tokens node:crypto HMAC-SHA256 gives, for any secret, kind, send id and link index', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 80 }),
        fc.constantFrom('open' as const, 'click' as const, 'unsubscribe' as const),
        fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF-'), maxLength: 40 })),
        fc.integer({ min: 0, max: 65_535 }),
        (secret, kind, sendId, n) => {
          const sut = new TrackingTokens(secret);
          expect(sut.sign(kind, sendId, n)).toBe(reference(secret, kind, sendId, n));
          expect(sut.sign(kind, sendId.toUpperCase(), n)).toBe(reference(secret, kind, sendId.toUpperCase(), n));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('signs one token after another from its reused buffer without mixing them', () => {
    const sut = new TrackingTokens('a-signing-secret-long-enough-for-the-test');
    const tokens = Array.from({ length: 50 }, (_, n) => ({ n, sendId: randomUUID(), token: '' }));
    for (const entry of tokens) entry.token = sut.sign('click', entry.sendId, entry.n);
    for (const { n, sendId, token } of tokens) expect(sut.verify(token, 'click')).toEqual({ kind: 'click', sendId, n });
  });
});
