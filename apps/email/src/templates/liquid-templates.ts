import { Liquid, type Template } from 'liquidjs';

export class LiquidSyntaxError extends Error {
  override name = 'LiquidSyntaxError';
}

/** A render that failed: an undefined variable (strict), a filter error, or a limit reached. */
export class LiquidRenderError extends Error {
  override name = 'LiquidRenderError';
  /** The render ran out of time (`renderLimitMs`, wall clock): a busy machine may be why, so the same render may fit later. */
  readonly timedOut = this.message.startsWith('template render limit exceeded');
}

/** `html` escapes every output (`| raw` opts out); `text` (subject, preheader, text part) does not. */
export type LiquidMode = 'html' | 'text';

export interface LiquidLimits {
  /** Milliseconds one render may take. */
  renderLimitMs: number;
  /** Objects one render may create. */
  memoryLimit: number;
}

/** A parsed template, ready to render many times. */
export interface ParsedLiquid {
  readonly mode: LiquidMode;
  readonly templates: Template[];
}

/** Longest template source parsed (characters). */
const PARSE_LIMIT = 1_000_000;

/**
 * Liquid for email: HTML-escaping on for HTML, own properties only (no `constructor`, no
 * prototype getters), no file system (`include`/`render`/`layout` find nothing), unknown filters
 * refused at parse time, and render time and memory bounded. Strict variables are per render: a
 * preview or a send of a template naming a variable the data lacks fails instead of printing a
 * blank (`| default:` and `if` still test for absence).
 */
export class LiquidTemplates {
  private readonly engines: Record<LiquidMode, Liquid>;

  constructor(private readonly limits: LiquidLimits) {
    const options = {
      ownPropertyOnly: true,
      strictFilters: true,
      lenientIf: true,
      templates: {},
      parseLimit: PARSE_LIMIT,
      renderLimit: limits.renderLimitMs,
      memoryLimit: limits.memoryLimit,
    };
    this.engines = { html: new Liquid({ ...options, outputEscape: 'escape' }), text: new Liquid(options) };
  }

  /** Throws LiquidSyntaxError naming the line when the source does not parse. */
  parse(source: string, mode: LiquidMode): ParsedLiquid {
    try {
      return { mode, templates: this.engines[mode].parse(source) };
    } catch (error) {
      throw new LiquidSyntaxError(firstLine(error));
    }
  }

  /** Renders synchronously (every tag email allows is synchronous). */
  render(parsed: ParsedLiquid, scope: Record<string, unknown>, { strict }: { strict: boolean }): string {
    try {
      return this.engines[parsed.mode].renderSync(parsed.templates, scope, {
        strictVariables: strict,
        renderLimit: this.limits.renderLimitMs,
        memoryLimit: this.limits.memoryLimit,
      }) as string;
    } catch (error) {
      throw new LiquidRenderError(firstLine(error));
    }
  }
}

/** liquidjs messages carry a source excerpt on the following lines; the first line names the problem and where. */
function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0]!.trim();
}
