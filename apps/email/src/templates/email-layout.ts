import { convert } from 'html-to-text';
import juice from 'juice';
import mjml2html from 'mjml';

export const EMAIL_FORMATS = ['HTML', 'MJML'] as const;
export type EmailFormat = (typeof EMAIL_FORMATS)[number];

/** The body's source is not valid MJML; `line` is the source line when MJML names one. */
export class LayoutError extends Error {
  override name = 'LayoutError';
}

/**
 * Turns a body (MJML or HTML, with Liquid tags in it) into the HTML every recipient's copy is
 * rendered from: MJML compiled once per template version (includes off, strict validation), CSS
 * inlined into `style` attributes (media queries stay in a `<style>` for clients that read them),
 * and the Gmail annotations' `<script>` added to the `<head>`. Liquid tags pass through untouched:
 * they are rendered per recipient, after this.
 */
export async function compileLayout(format: EmailFormat, body: string, headScript = ''): Promise<string> {
  const html = format === 'MJML' ? await compileMjml(body) : body;
  const inlined = juice(html, { preserveMediaQueries: true, preserveFontFaces: true, removeStyleTags: true, applyWidthAttributes: true });
  return headScript ? addToHead(inlined, headScript) : inlined;
}

async function compileMjml(source: string): Promise<string> {
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(source, { validationLevel: 'strict', keepComments: false, ignoreIncludes: true, minify: false, beautify: false });
  } catch (error) {
    const details = (error as { details?: { line?: number; message: string }[] }).details;
    const first = details?.[0];
    throw new LayoutError(first ? `line ${first.line ?? '?'}: ${first.message}` : (error as Error).message.split('\n')[0]!);
  }
  const first = result.errors?.[0];
  if (first) throw new LayoutError(`line ${first.line}: ${first.message}`);
  return result.html;
}

/** Adds `fragment` at the end of the document's `<head>`, making one when there is none. */
export function addToHead(html: string, fragment: string): string {
  const close = html.search(/<\/head\s*>/i);
  if (close >= 0) return `${html.slice(0, close)}${fragment}${html.slice(close)}`;
  const htmlOpen = /<html\b[^>]*>/i.exec(html);
  if (htmlOpen) return `${html.slice(0, htmlOpen.index + htmlOpen[0].length)}<head>${fragment}</head>${html.slice(htmlOpen.index + htmlOpen[0].length)}`;
  return `<head>${fragment}</head>${html}`;
}

/** Adds `fragment` right after the `<body>` tag: defined beside the per-recipient composing that uses it. */
export { addToBodyStart } from './recipient-copy.js';

/**
 * The plain-text part's template, derived once from the compiled HTML: Liquid tags come through
 * as text (no wrapping, no upper-casing of headings, so no tag is cut or changed), and are then
 * rendered per recipient without HTML escaping. Converting each recipient's HTML instead costs
 * about a millisecond per message.
 */
export function deriveTextTemplate(compiledHtml: string): string {
  return convert(compiledHtml, {
    wordwrap: false,
    selectors: [
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'block' },
    ],
  });
}
