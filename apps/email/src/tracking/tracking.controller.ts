import { Body, Controller, Get, Head, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER } from '@boomerang/platform/subgraph';
import { escapeHtml } from '../templates/email-composer.js';
import { EmailEngagements } from './email-engagements.js';
import { TRACKING_PATH, TrackingUrls } from './tracking-urls.js';

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const NO_STORE = { 'cache-control': 'no-store, private', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

/**
 * What recipients' mail clients reach (expose `/t/` of this listener at EMAIL_TRACKING_URL):
 * the open pixel, click redirects (only to a URL stored with the send, by index) and the
 * unsubscribe page; RFC 8058 one-click is the POST. Tokens are signed: altered ones are 404.
 */
@Controller(TRACKING_PATH)
export class TrackingController {
  constructor(
    private readonly urls: TrackingUrls,
    private readonly engagements: EmailEngagements,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('o/:token')
  @Head('o/:token')
  async open(@Param('token') token: string, @Res() response: Response): Promise<void> {
    const claim = this.urls.tokens.verify(token, 'open');
    // The image is served either way: a tracking failure must not show as a broken image.
    if (claim) await this.engagements.open(claim.sendId).catch((error: unknown) => this.logger.warn({ err: error, sendId: claim.sendId }, 'open not recorded'));
    response.status(claim ? 200 : 404).set({ ...NO_STORE, 'content-type': 'image/gif', 'content-length': String(PIXEL.length) }).end(PIXEL);
  }

  @Get('c/:token')
  async click(@Param('token') token: string, @Res() response: Response): Promise<void> {
    const claim = this.urls.tokens.verify(token, 'click');
    const url = claim ? await this.engagements.click(claim.sendId, claim.n) : null;
    if (!url) {
      response.status(404).set({ ...NO_STORE, 'content-type': 'text/plain; charset=utf-8' }).end('This link is not valid.\n');
      return;
    }
    response.status(302).set({ ...NO_STORE, location: url }).end();
  }

  /** The page: a confirmation button (a GET never unsubscribes: link scanners fetch GETs). */
  @Get('u/:token')
  unsubscribePage(@Param('token') token: string, @Res() response: Response): void {
    const claim = this.urls.tokens.verify(token, 'unsubscribe');
    if (!claim) return void page(response, 404, 'This unsubscribe link is not valid.');
    page(response, 200, 'Stop receiving these emails?', `<form method="post"><button type="submit">Unsubscribe</button></form>`);
  }

  /** RFC 8058 one-click (`List-Unsubscribe=One-Click`) and the page's button. */
  @Post('u/:token')
  @HttpCode(200)
  async unsubscribe(@Param('token') token: string, @Body() body: unknown, @Res() response: Response): Promise<void> {
    const claim = this.urls.tokens.verify(token, 'unsubscribe');
    const source = (body as Record<string, unknown> | undefined)?.['List-Unsubscribe'] === 'One-Click' ? 'one-click' : 'page';
    if (!claim || !(await this.engagements.unsubscribe(claim.sendId, source))) return void page(response, 404, 'This unsubscribe link is not valid.');
    page(response, 200, 'You are unsubscribed. You will not receive these emails any more.');
  }
}

function page(response: Response, status: number, message: string, extra = ''): void {
  response
    .status(status)
    .set({ ...NO_STORE, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" })
    .end(`<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Unsubscribe</title></head><body style="font-family:sans-serif;max-width:32em;margin:4em auto"><p>${escapeHtml(message)}</p>${extra}</body></html>`);
}
