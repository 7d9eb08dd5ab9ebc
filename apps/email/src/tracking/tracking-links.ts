import type { TrackingTokens } from './tracking-tokens.js';

/** Where tracking routes live under the app's HTTP listener. */
export const TRACKING_PATH = 't';

/**
 * The signed URLs and addresses one sent message carries, under one base URL: plain code (no
 * Nest), so the render threads build them beside the message.
 */
export class TrackingLinks {
  constructor(
    private readonly tokens: TrackingTokens,
    /** The tracking routes' base URL, without a trailing slash. */
    readonly baseUrl: string,
    private readonly bounceDomain: string,
  ) {}

  open(sendId: string): string {
    return `${this.baseUrl}/${TRACKING_PATH}/o/${this.tokens.sign('open', sendId)}`;
  }

  click(sendId: string, n: number): string {
    return `${this.baseUrl}/${TRACKING_PATH}/c/${this.tokens.sign('click', sendId, n)}`;
  }

  /** The one-click URL (RFC 8058) and the mailto address the inbound listener takes, one token for both. */
  unsubscribe(sendId: string): { url: string; address: string } {
    const token = this.tokens.sign('unsubscribe', sendId);
    return { url: `${this.baseUrl}/${TRACKING_PATH}/u/${token}`, address: `u+${token}@${this.bounceDomain}` };
  }

  /** The VERP return path: bounces for this send come back to `b+<sendId>@<bounce domain>`. */
  returnPath(sendId: string): string {
    return `b+${sendId}@${this.bounceDomain}`;
  }
}
