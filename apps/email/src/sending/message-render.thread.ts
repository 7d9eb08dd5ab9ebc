// A render thread of `RenderThreads`: composes, tracks and builds each message it is asked for,
// and hands the bytes back without a copy (the ArrayBuffer is transferred). Liquid's time and
// memory limits apply here as on the main thread; the thread's heap limit is the last backstop.
import { parentPort, workerData } from 'node:worker_threads';
import { LiquidTemplates } from '../templates/liquid-templates.js';
import { ComposeError, RecipientCopyComposer, type ComposableVersion } from '../templates/recipient-copy.js';
import { TrackingTokens } from '../tracking/tracking-tokens.js';
import { renderMessage, type RenderRequest, type RenderThreadSettings } from './message-render.js';

/** What the thread answers for request `id` (in a batch's answer). */
export type RenderReply =
  | { id: number; raw: Uint8Array; links: string[] }
  | { id: number; composeError: { part: ComposeError['part']; message: string; timedOut: boolean } }
  /** The version was sent by key but this thread no longer holds it: send it whole. */
  | { id: number; versionUnknown: true }
  | { id: number; error: string };

const VERSIONS_KEPT = 1_000;

const settings = workerData as RenderThreadSettings;
const copies = new RecipientCopyComposer(new LiquidTemplates(settings.limits));
const tokens = new TrackingTokens(settings.signingSecret);
const versions = new Map<string, ComposableVersion>();

async function reply(id: number, request: RenderRequest): Promise<RenderReply> {
  let version: ComposableVersion | undefined;
  if ('subject' in request.version) {
    if (versions.size >= VERSIONS_KEPT) versions.clear();
    versions.set(request.version.key, (version = request.version));
  } else version = versions.get(request.version.key);
  if (!version) return { id, versionUnknown: true };
  try {
    const { raw, links } = await renderMessage(copies, tokens, settings.bounceDomain, { ...request, version });
    return { id, raw, links };
  } catch (error) {
    if (error instanceof ComposeError) return { id, composeError: { part: error.part, message: error.message.slice(error.part.length + 2), timedOut: error.timedOut } };
    return { id, error: String((error as Error)?.stack ?? error) };
  }
}

// A batch (the renders asked for in one tick) is answered in one message, its buffers transferred.
parentPort!.on('message', (requests: { id: number; request: RenderRequest }[]) => {
  void (async () => {
    const replies: RenderReply[] = [];
    for (const { id, request } of requests) replies.push(await reply(id, request));
    parentPort!.postMessage(
      replies,
      replies.flatMap((answer) => ('raw' in answer ? [answer.raw.buffer as ArrayBuffer] : [])),
    );
  })();
});
