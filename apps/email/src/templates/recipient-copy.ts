// Composing one recipient's copy from a stored version: plain code (no Nest, no MJML), so the
// dispatcher's render threads (sending/message-render.thread.ts) load only this and liquidjs.
import { LiquidRenderError, type LiquidTemplates, type ParsedLiquid } from './liquid-templates.js';

/** A stored version, as composing needs it. `key` identifies it for the parse cache (e.g. `<templateId>:<version>`). */
export interface ComposableVersion {
  key: string;
  subject: string;
  preheader: string | null;
  compiledHtml: string;
  textTemplate: string;
}

export interface ComposedEmail {
  subject: string;
  preheader: string | null;
  html: string;
  text: string;
}

/** A part that could not be rendered with this data (an undefined variable, a limit). `timedOut`: the render time limit, which load alone can reach. */
export class ComposeError extends Error {
  override name = 'ComposeError';
  constructor(
    readonly part: 'subject' | 'preheader' | 'body' | 'textBody',
    message: string,
    readonly timedOut = false,
  ) {
    super(`${part}: ${message}`);
  }
}

interface ParsedVersion {
  subject: ParsedLiquid;
  preheader: ParsedLiquid | null;
  html: ParsedLiquid;
  text: ParsedLiquid;
}

const PARSED_VERSIONS_KEPT = 500;
const PREHEADER_STYLE = 'display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all';

/**
 * Each recipient's copy of a version: Liquid over the compiled HTML (escaped), the derived or
 * written text part, the subject and the preheader (not escaped: they are not HTML). Parsed
 * versions are cached, so a send batch parses once.
 */
export class RecipientCopyComposer {
  private readonly parsed = new Map<string, ParsedVersion>();

  constructor(private readonly liquid: LiquidTemplates) {}

  /** `strict`: a variable the scope lacks is a ComposeError (previews and sends). */
  compose(version: ComposableVersion, scope: Record<string, unknown>, { strict = true }: { strict?: boolean } = {}): ComposedEmail {
    const parsed = this.parsedVersion(version);
    const render = (part: ComposeError['part'], template: ParsedLiquid) => {
      try {
        return this.liquid.render(template, scope, { strict });
      } catch (error) {
        if (error instanceof LiquidRenderError) throw new ComposeError(part, error.message, error.timedOut);
        throw error;
      }
    };
    // Subject and preheader are one line each: data must not be able to start a header or a paragraph.
    const subject = oneLine(render('subject', parsed.subject));
    const preheader = parsed.preheader ? oneLine(render('preheader', parsed.preheader)) : null;
    let html = render('body', parsed.html);
    if (preheader) html = addToBodyStart(html, `<div style="${PREHEADER_STYLE}">${escapeHtml(preheader)}</div>`);
    const text = render('textBody', parsed.text).replace(/\n{3,}/g, '\n\n').trim();
    return { subject, preheader, html, text };
  }

  private parsedVersion(version: ComposableVersion): ParsedVersion {
    const cached = this.parsed.get(version.key);
    if (cached) return cached;
    const parsed: ParsedVersion = {
      subject: this.liquid.parse(version.subject, 'text'),
      preheader: version.preheader == null ? null : this.liquid.parse(version.preheader, 'text'),
      html: this.liquid.parse(version.compiledHtml, 'html'),
      text: this.liquid.parse(version.textTemplate, 'text'),
    };
    if (this.parsed.size >= PARSED_VERSIONS_KEPT) this.parsed.delete(this.parsed.keys().next().value!);
    this.parsed.set(version.key, parsed);
    return parsed;
  }
}

/** What a template sees: `profile` (its properties, then the built-in attributes over them), `event` and `campaign`. */
export function personalizationScope({
  profile,
  event = {},
  campaign = {},
}: {
  profile: { id: string; email: string | null; name: string | null; timeZone: string | null; locale: string | null; properties: Record<string, unknown> };
  event?: Record<string, unknown>;
  campaign?: Record<string, unknown>;
}): Record<string, unknown> {
  const { properties, ...builtIn } = profile;
  return { profile: { ...properties, ...builtIn }, event, campaign };
}

/**
 * `personalizationScope` as JSON text, from its parts' JSON texts (a profile's properties, an event's
 * and a campaign's data, as PostgreSQL returns them) without parsing them: the dispatcher hands it to a
 * render thread, which parses it once. The built-in attributes follow the properties, and JSON.parse
 * keeps the last of a repeated key in the first one's place, as the spread does.
 */
export function personalizationScopeJson({
  profile,
  propertiesJson,
  eventJson,
  campaignJson,
}: {
  profile: { id: string; email: string | null; name: string | null; timeZone: string | null; locale: string | null };
  propertiesJson: string;
  eventJson: string;
  campaignJson: string;
}): string {
  const properties = propertiesJson.trim().slice(1, -1);
  const builtIn = JSON.stringify(profile).slice(1);
  return `{"profile":{${/\S/.test(properties) ? `${properties},` : ''}${builtIn},"event":${eventJson},"campaign":${campaignJson}}`;
}

/** Puts `fragment` first inside `<body>` (or first of all when there is none). */
export function addToBodyStart(html: string, fragment: string): string {
  const open = /<body\b[^>]*>/i.exec(html);
  if (!open) return `${fragment}${html}`;
  const at = open.index + open[0].length;
  return `${html.slice(0, at)}${fragment}${html.slice(at)}`;
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
