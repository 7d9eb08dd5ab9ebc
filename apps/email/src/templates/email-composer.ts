import { Inject, Injectable } from '@nestjs/common';
import { EMAIL_CONFIG, type EmailConfig } from '../email-config.js';
import { compileLayout, deriveTextTemplate, LayoutError, type EmailFormat } from './email-layout.js';
import { promotionIssues, promotionScript, type GmailPromotion } from './gmail-promotion.js';
import { LiquidSyntaxError, LiquidTemplates, type LiquidMode, type ParsedLiquid } from './liquid-templates.js';
import { RecipientCopyComposer, type ComposableVersion, type ComposedEmail } from './recipient-copy.js';

export { ComposeError, escapeHtml, personalizationScope, type ComposableVersion, type ComposedEmail } from './recipient-copy.js';

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

/**
 * Compiles template versions (once, when saved) and composes each recipient's copy from them:
 * Liquid over the compiled HTML (escaped), the derived or written text part, the subject and the
 * preheader (not escaped: they are not HTML). Parsed versions are cached, so a send batch parses once.
 */
@Injectable()
export class EmailComposer {
  private readonly liquid: LiquidTemplates;
  private readonly copies: RecipientCopyComposer;

  constructor(@Inject(EMAIL_CONFIG) config: Pick<EmailConfig, 'EMAIL_RENDER_LIMIT_MS' | 'EMAIL_RENDER_MEMORY_LIMIT'>) {
    this.liquid = new LiquidTemplates({ renderLimitMs: config.EMAIL_RENDER_LIMIT_MS, memoryLimit: config.EMAIL_RENDER_MEMORY_LIMIT });
    this.copies = new RecipientCopyComposer(this.liquid);
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
  compose(version: ComposableVersion, scope: Record<string, unknown>, options: { strict?: boolean } = {}): ComposedEmail {
    return this.copies.compose(version, scope, options);
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
