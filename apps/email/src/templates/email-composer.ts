import { Inject, Injectable } from '@nestjs/common';
import { EMAIL_CONFIG, type EmailConfig } from '../email-config.js';
import { addToBodyStart, compileLayout, deriveTextTemplate, LayoutError, type EmailFormat } from './email-layout.js';
import { promotionIssues, promotionScript, type GmailPromotion } from './gmail-promotion.js';
import { LiquidRenderError, LiquidSyntaxError, LiquidTemplates, type LiquidMode, type ParsedLiquid } from './liquid-templates.js';

/** What an author writes: the parts of one template version. */
export interface EmailContent {
  format: EmailFormat;
  subject: string;
  preheader: string | null;
  fromName: string | null;
  fromAddress: string | null;
  replyTo: string | null;
  /** MJML or HTML, with Liquid. */
  body: string;
  /** Liquid for the plain-text part; null: derived from the HTML. */
  textBody: string | null;
  promotion: GmailPromotion | null;
}

/** What compiling a version stores beside it, so no send runs MJML or the HTML-to-text conversion. */
export interface CompiledLayout {
  compiledHtml: string;
  textTemplate: string;
}

/** A stored version, as composing needs it. `key` identifies it for the parse cache (e.g. `<templateId>:<version>`). */
export interface ComposableVersion extends CompiledLayout {
  key: string;
  subject: string;
  preheader: string | null;
}

export interface ComposedEmail {
  subject: string;
  preheader: string | null;
  html: string;
  text: string;
}

/** A part of the content that does not compile; `field` is the content's field (`subject`, `body`, `promotion.cards[1].url`). */
export class ContentError extends Error {
  override name = 'ContentError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A part that could not be rendered with this data (an undefined variable, a limit). */
export class ComposeError extends Error {
  override name = 'ComposeError';
  constructor(
    readonly part: 'subject' | 'preheader' | 'body' | 'textBody',
    message: string,
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
 * Compiles template versions (once, when saved) and composes each recipient's copy from them:
 * Liquid over the compiled HTML (escaped), the derived or written text part, the subject and the
 * preheader (not escaped: they are not HTML). Parsed versions are cached, so a send batch parses once.
 */
@Injectable()
export class EmailComposer {
  private readonly liquid: LiquidTemplates;
  private readonly parsed = new Map<string, ParsedVersion>();

  constructor(@Inject(EMAIL_CONFIG) config: Pick<EmailConfig, 'EMAIL_RENDER_LIMIT_MS' | 'EMAIL_RENDER_MEMORY_LIMIT'>) {
    this.liquid = new LiquidTemplates({ renderLimitMs: config.EMAIL_RENDER_LIMIT_MS, memoryLimit: config.EMAIL_RENDER_MEMORY_LIMIT });
  }

  /** Checks every part and compiles the layout; throws ContentError naming the first part that fails. */
  async compile(content: EmailContent): Promise<CompiledLayout> {
    this.parsePart(content.subject, 'text', 'subject');
    if (content.preheader != null) this.parsePart(content.preheader, 'text', 'preheader');
    this.parsePart(content.body, 'html', 'body');
    if (content.textBody != null) this.parsePart(content.textBody, 'text', 'textBody');
    if (content.promotion) {
      const issue = promotionIssues(content.promotion)[0];
      if (issue) throw new ContentError(`promotion.${issue.field}`, issue.message);
    }
    let compiledHtml: string;
    try {
      compiledHtml = await compileLayout(content.format, content.body, promotionScript(content.promotion));
    } catch (error) {
      if (error instanceof LayoutError) throw new ContentError('body', `is not valid ${content.format}: ${error.message}`);
      throw error;
    }
    // Compiling may move or re-encode what the author wrote: the result must still parse.
    this.parsePart(compiledHtml, 'html', 'body');
    const textTemplate = content.textBody ?? deriveTextTemplate(compiledHtml);
    this.parsePart(textTemplate, 'text', content.textBody == null ? 'body' : 'textBody');
    return { compiledHtml, textTemplate };
  }

  /** One recipient's copy. `strict`: a variable the scope lacks is a ComposeError (previews and sends). */
  compose(version: ComposableVersion, scope: Record<string, unknown>, { strict = true }: { strict?: boolean } = {}): ComposedEmail {
    const parsed = this.parsedVersion(version);
    const render = (part: ComposeError['part'], template: ParsedLiquid) => {
      try {
        return this.liquid.render(template, scope, { strict });
      } catch (error) {
        if (error instanceof LiquidRenderError) throw new ComposeError(part, error.message);
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

  private parsePart(source: string, mode: LiquidMode, field: string): ParsedLiquid {
    try {
      return this.liquid.parse(source, mode);
    } catch (error) {
      if (error instanceof LiquidSyntaxError) throw new ContentError(field, `does not parse as Liquid: ${error.message}`);
      throw error;
    }
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

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
