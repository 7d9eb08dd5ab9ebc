import { randomUUID } from 'node:crypto';
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

  it('gives each token of a message its own tag: no link, kind or other send is forged from another token\'s tag', () => {
    const other = randomUUID();
    const tokens = [sut.sign('open', sendId), sut.sign('unsubscribe', sendId), ...[0, 1, 2, 3, 4, 5, 199].map((n) => sut.sign('click', sendId, n)), sut.sign('click', other, 0)];
    const tags = tokens.map((token) => Buffer.from(token, 'base64url').subarray(19).toString('hex'));
    expect(new Set(tags).size).toBe(tokens.length);
    // Another link's tag under this link's body, and a token signed alone (no other token of its message before it), as a fresh instance would.
    const click1 = Buffer.from(sut.sign('click', sendId, 1), 'base64url');
    Buffer.from(sut.sign('click', sendId, 2), 'base64url').copy(click1, 19, 19);
    expect(sut.verify(click1.toString('base64url'), 'click')).toBeNull();
    const fresh = new TrackingTokens('a-signing-secret-long-enough-for-the-test');
    expect(fresh.sign('click', sendId, 5)).toBe(tokens[7]);
    expect(fresh.verify(tokens[1]!, 'unsubscribe')).toEqual({ kind: 'unsubscribe', sendId, n: 0 });
    expect(fresh.verify(tokens[8]!, 'click')).toEqual({ kind: 'click', sendId, n: 199 });
  });

  it('still verifies the tokens of messages sent before (one HMAC-SHA256 a token)', () => {
    const sent = '4b7c1c1e-0000-4000-8000-000000000001';
    expect(sut.verify('Y0t8HB4AAEAAgAAAAAAAAAEAAyM1aqbpUtPUaAQaUEXChpc', 'click')).toEqual({ kind: 'click', sendId: sent, n: 3 });
    expect(sut.verify('b0t8HB4AAEAAgAAAAAAAAAEAAEJENm4TvMyyuubqbE6y6Vk', 'open')).toEqual({ kind: 'open', sendId: sent, n: 0 });
    expect(sut.verify('dUt8HB4AAEAAgAAAAAAAAAEAANr0xJEWym1kfTVCIWrzaM4', 'unsubscribe')).toEqual({ kind: 'unsubscribe', sendId: sent, n: 0 });
    expect(sut.verify('dUt8HB4AAEAAgAAAAAAAAAEAANr0xJEWym1kfTVCIWrzaM4', 'open')).toBeNull();
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

  it('puts the pixel before the last </body> in any case, or at the end when there is none', () => {
    const pixel = (html: string) => trackHtml(html, (n) => `c/${n}`, 'o/x').html.replace(/<img src="o\/x"[^>]*\/>/, '[pixel]');
    expect(pixel('<p>a</p></Body><!-- </body --></BODY>\n')).toBe('<p>a</p></Body><!-- </body --></BODY>'.replace('</BODY>', '[pixel]</BODY>') + '\n');
    expect(pixel('</body>x</body')).toBe('[pixel]</body>x</body');
    expect(pixel('<p>no body</p>')).toBe('<p>no body</p>[pixel]');
    expect(pixel('')).toBe('[pixel]');
  });
});
