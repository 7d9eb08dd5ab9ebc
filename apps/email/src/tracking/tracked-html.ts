/** Links rewritten to tracking URLs: the body, and the original URLs by index (stored on the send). */
export interface TrackedHtml {
  html: string;
  links: string[];
}

const ANCHOR_HREF = /(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?:\/\/[^"']+)\2/gi;
const MAX_LINKS = 200;

/**
 * Rewrites each http(s) link of `<a href>` to `clickUrl(n)` and adds the open pixel before
 * `</body>`. Only these URLs are ever redirected to (a click token names an index, not a URL).
 * Links past the 200th stay as written.
 */
export function trackHtml(html: string, clickUrl: (n: number) => string, openUrl: string): TrackedHtml {
  const links: string[] = [];
  const rewritten = html.replace(ANCHOR_HREF, (whole, start: string, quote: string, href: string) => {
    if (links.length >= MAX_LINKS) return whole;
    links.push(decodeAttribute(href));
    return `${start}${quote}${clickUrl(links.length - 1)}${quote}`;
  });
  const pixel = `<img src="${openUrl}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px" />`;
  const at = lastBodyClose(rewritten);
  return { html: at < 0 ? rewritten + pixel : rewritten.slice(0, at) + pixel + rewritten.slice(at), links };
}

/** Where the last `</body>` (in any case) starts, or -1: found from the end, without a lower-cased copy of the whole message. */
function lastBodyClose(html: string): number {
  for (let at = html.lastIndexOf('</'); at >= 0; at = at === 0 ? -1 : html.lastIndexOf('</', at - 1)) {
    if (html.slice(at + 2, at + 7).toLowerCase() === 'body>') return at;
  }
  return -1;
}

function decodeAttribute(value: string): string {
  return value.replace(/&(amp|quot|#39|lt|gt);/g, (_, entity: string) => ({ amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' })[entity]!);
}
