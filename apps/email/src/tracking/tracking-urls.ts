import type { AddressInfo } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { EMAIL_CONFIG, type EmailConfig } from '../email-config.js';
import { TrackingLinks } from './tracking-links.js';
import { TrackingTokens } from './tracking-tokens.js';

export { TRACKING_PATH } from './tracking-links.js';

/** The signed URLs and addresses a sent message carries. */
@Injectable()
export class TrackingUrls {
  readonly tokens: TrackingTokens;

  constructor(
    @Inject(EMAIL_CONFIG) private readonly config: EmailConfig,
    @Inject(SUBGRAPH_CONFIG) platform: SubgraphConfig,
    private readonly http: HttpAdapterHost,
  ) {
    this.tokens = new TrackingTokens(platform.INTERNAL_SIGNING_SECRET);
  }

  private listenerUrl?: string;

  /** EMAIL_TRACKING_URL, else this listener as reached from this host (read once it listens: it is asked per link). */
  get baseUrl(): string {
    if (this.config.EMAIL_TRACKING_URL) return this.config.EMAIL_TRACKING_URL.replace(/\/+$/, '');
    if (this.listenerUrl) return this.listenerUrl;
    const address = this.http.httpAdapter?.getHttpServer()?.address() as AddressInfo | null | undefined;
    if (!address) return 'http://127.0.0.1:4107';
    return (this.listenerUrl = `http://127.0.0.1:${address.port}`);
  }

  private links?: TrackingLinks;

  /** The links under `baseUrl` (built once it is known). */
  private linksNow(): TrackingLinks {
    const baseUrl = this.baseUrl;
    if (this.links?.baseUrl !== baseUrl) this.links = new TrackingLinks(this.tokens, baseUrl, this.config.EMAIL_BOUNCE_DOMAIN);
    return this.links;
  }

  open(sendId: string): string {
    return this.linksNow().open(sendId);
  }

  click(sendId: string, n: number): string {
    return this.linksNow().click(sendId, n);
  }

  /** The one-click URL (RFC 8058) and the mailto address the inbound listener takes, one token for both. */
  unsubscribe(sendId: string): { url: string; address: string } {
    return this.linksNow().unsubscribe(sendId);
  }

  /** The VERP return path: bounces for this send come back to `b+<sendId>@<bounce domain>`. */
  returnPath(sendId: string): string {
    return this.linksNow().returnPath(sendId);
  }
}
