// One recipient's message, from the stored version to the bytes SMTP sends: the per-send CPU of
// the dispatcher (Liquid, link tracking, MIME and quoted-printable), run in the render threads
// (message-render.thread.ts). Plain code with relative imports only, so a thread loads just this.
import type { LiquidLimits } from '../templates/liquid-templates.js';
import type { ComposableVersion, RecipientCopyComposer } from '../templates/recipient-copy.js';
import { trackHtml } from '../tracking/tracked-html.js';
import { TrackingLinks } from '../tracking/tracking-links.js';
import type { TrackingTokens } from '../tracking/tracking-tokens.js';
import { buildMimeMessage, type MimeAddress } from './mime-message.js';

/** What a render thread is started with. */
export interface RenderThreadSettings {
  limits: LiquidLimits;
  signingSecret: string;
  bounceDomain: string;
}

/** One send's message to render. `version` is sent whole once per thread, then by its key alone. */
export interface RenderRequest {
  sendId: string;
  version: ComposableVersion | { key: string };
  /** What the template sees, or it as JSON text (`personalizationScopeJson`: the thread parses it). */
  scope: Record<string, unknown> | string;
  trackingBaseUrl: string;
  messageId: string;
  from: MimeAddress;
  to: string;
  replyTo: string | null;
}

export interface RenderedMessage {
  /** The whole message (its own ArrayBuffer, so it can be transferred between threads). */
  raw: Uint8Array;
  /** The original URLs of the tracked links, by index. */
  links: string[];
}

export async function renderMessage(copies: RecipientCopyComposer, tokens: TrackingTokens, bounceDomain: string, request: RenderRequest & { version: ComposableVersion }): Promise<RenderedMessage> {
  const email = copies.compose(request.version, typeof request.scope === 'string' ? (JSON.parse(request.scope) as Record<string, unknown>) : request.scope);
  const links = new TrackingLinks(tokens, request.trackingBaseUrl, bounceDomain);
  const tracked = trackHtml(email.html, (n) => links.click(request.sendId, n), links.open(request.sendId));
  const unsubscribe = links.unsubscribe(request.sendId);
  const raw = await buildMimeMessage({
    from: request.from,
    to: request.to,
    replyTo: request.replyTo,
    subject: email.subject,
    html: tracked.html,
    text: email.text,
    messageId: request.messageId,
    // When rendered: at most the few rounds claimed ahead before the SMTP attempt.
    date: new Date(),
    headers: {
      'X-Boomerang-Send-Id': request.sendId,
      // RFC 8058 one-click (an https URL taking POST), and the mailto form for clients that only know RFC 2369.
      'List-Unsubscribe': `<${unsubscribe.url}>, <mailto:${unsubscribe.address}?subject=unsubscribe>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  });
  // A small Buffer can be a slice of Node's shared pool, which must not be transferred.
  if (raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength) return { raw, links: tracked.links };
  const own = new Uint8Array(raw.byteLength);
  own.set(raw);
  return { raw: own, links: tracked.links };
}
