import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';

/** Handlebars' built-in helpers; templates may use nothing else (no custom helpers yet). */
const KNOWN_HELPERS = { helperMissing: true, blockHelperMissing: true, each: true, if: true, unless: true, with: true, log: true, lookup: true };
const COMPILE_OPTIONS = { knownHelpersOnly: true, knownHelpers: KNOWN_HELPERS } as const;

export class TemplateSyntaxError extends Error {
  override name = 'TemplateSyntaxError';
}

/** Partials and decorators would need registration this service does not offer. */
class UnsupportedSyntaxFinder extends Handlebars.Visitor {
  found?: string;
  override PartialStatement(): void {
    this.found ??= 'partials ({{> name}}) are not supported';
  }
  override PartialBlockStatement(): void {
    this.found ??= 'partial blocks ({{#> name}}) are not supported';
  }
  override DecoratorBlock(): void {
    this.found ??= 'decorators are not supported';
  }
  override Decorator(): void {
    this.found ??= 'decorators are not supported';
  }
}

export type TemplateMode = 'html' | 'text';

/**
 * Compiles and renders Handlebars templates in an isolated environment. HTML templates escape
 * every `{{value}}`; plain-text templates (subject, text body) do not, since they are not HTML.
 */
@Injectable()
export class TemplateEngine {
  private readonly handlebars = Handlebars.create();

  /** Throws TemplateSyntaxError when the source would not compile or uses unknown helpers. */
  check(source: string): void {
    let ast: hbs.AST.Program;
    try {
      ast = this.handlebars.parse(source);
    } catch (error) {
      throw new TemplateSyntaxError(oneLine((error as Error).message));
    }
    const finder = new UnsupportedSyntaxFinder();
    finder.accept(ast);
    if (finder.found) throw new TemplateSyntaxError(finder.found);
    try {
      this.handlebars.precompile(ast, COMPILE_OPTIONS);
    } catch (error) {
      throw new TemplateSyntaxError(oneLine((error as Error).message));
    }
  }

  render(source: string, data: Record<string, unknown>, mode: TemplateMode): string {
    return this.handlebars.compile(source, { ...COMPILE_OPTIONS, noEscape: mode === 'text' })(data);
  }
}

/** Handlebars parse errors span lines with an ASCII caret; keep them readable in one line. */
function oneLine(message: string): string {
  return message.replace(/\s*\n-*\^\s*\n/g, ' ').replace(/\s*\n\s*/g, ' ').trim();
}
