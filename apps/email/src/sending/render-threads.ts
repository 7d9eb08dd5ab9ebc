import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { EMAIL_CONFIG, type EmailConfig } from '../email-config.js';
import { ComposeError, type ComposableVersion } from '../templates/recipient-copy.js';
import type { RenderedMessage, RenderRequest, RenderThreadSettings } from './message-render.js';
import type { RenderReply } from './message-render.thread.js';

/** The render thread died (a crash, its heap limit, shutdown) with this message unrendered: nothing of it reached SMTP. */
export class RenderThreadStopped extends Error {
  override name = 'RenderThreadStopped';
}

interface Pending {
  request: RenderRequest & { version: ComposableVersion };
  resolve(message: RenderedMessage): void;
  reject(error: Error): void;
}

interface RenderThread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Version keys this thread was sent whole (it may have dropped some since: it says so, and gets it again). */
  versions: Set<string>;
}

/** The render threads' count when EMAIL_RENDER_THREADS is unset: the cores but one (the dispatcher's), at least one. */
export const defaultRenderThreads = (): number => Math.max(1, Math.min(4, availableParallelism() - 1));

/**
 * The dispatcher's per-send CPU (Liquid, link tracking, MIME and quoted-printable) run in a few
 * worker threads (`message-render.thread.ts`), so the main thread keeps to claims, PostgreSQL,
 * NATS and the SMTP thread's answers. Renders asked for together go in one message per thread (the
 * one with the fewest waiting) and come back in one; the bytes are transferred, not copied. A thread that dies fails its waiting renders with
 * RenderThreadStopped (the dispatcher defers those sends: none reached SMTP) and is started again
 * on the next render.
 */
@Injectable()
export class RenderThreads implements OnApplicationShutdown {
  private readonly threads: (RenderThread | undefined)[];
  private readonly settings: RenderThreadSettings;
  private nextId = 0;
  private closed = false;

  constructor(
    @Inject(EMAIL_CONFIG) private readonly config: Pick<EmailConfig, 'EMAIL_RENDER_THREADS' | 'EMAIL_RENDER_THREAD_HEAP_MB' | 'EMAIL_RENDER_LIMIT_MS' | 'EMAIL_RENDER_MEMORY_LIMIT' | 'EMAIL_BOUNCE_DOMAIN'>,
    @Inject(SUBGRAPH_CONFIG) platform: Pick<SubgraphConfig, 'INTERNAL_SIGNING_SECRET'>,
  ) {
    this.threads = Array.from({ length: config.EMAIL_RENDER_THREADS ?? defaultRenderThreads() }, () => undefined);
    this.settings = {
      limits: { renderLimitMs: config.EMAIL_RENDER_LIMIT_MS, memoryLimit: config.EMAIL_RENDER_MEMORY_LIMIT },
      signingSecret: platform.INTERNAL_SIGNING_SECRET,
      bounceDomain: config.EMAIL_BOUNCE_DOMAIN,
    };
  }

  /**
   * The message for one send; throws ComposeError (the data does not fit the template) or
   * RenderThreadStopped. The renders asked for in one tick (a round's sends) cross to the threads
   * together and come back together, so their sends reach the gate and the in-flight mark as one batch.
   */
  render(request: RenderRequest & { version: ComposableVersion }): Promise<RenderedMessage> {
    if (this.closed) return Promise.reject(new RenderThreadStopped('render threads stopped: shutdown'));
    return new Promise((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.flush());
      this.queued.push({ request, resolve, reject });
    });
  }

  private queued: Pending[] = [];

  /** Splits what was asked for among the threads, each share to the thread with the fewest waiting. */
  private flush(): void {
    const queued = this.queued;
    this.queued = [];
    if (this.closed) {
      for (const waiting of queued) waiting.reject(new RenderThreadStopped('render threads stopped: shutdown'));
      return;
    }
    const share = Math.ceil(queued.length / this.threads.length);
    for (let from = 0; from < queued.length; from += share) {
      let slot = 0;
      for (let n = 1; n < this.threads.length; n++) if ((this.threads[n]?.pending.size ?? 0) < (this.threads[slot]?.pending.size ?? 0)) slot = n;
      const thread = this.threads[slot] ?? this.start(slot);
      this.post(
        thread,
        queued.slice(from, from + share).map((pending) => ({ id: this.nextId++, pending })),
      );
    }
  }

  private post(thread: RenderThread, batch: { id: number; pending: Pending }[]): void {
    // Renders waiting keep the process alive (an idle thread alone does not).
    if (thread.pending.size === 0) thread.worker.ref();
    const requests = batch.map(({ id, pending }) => {
      thread.pending.set(id, pending);
      const { request } = pending;
      const whole = !thread.versions.has(request.version.key);
      if (whole) thread.versions.add(request.version.key);
      return { id, request: whole ? request : { ...request, version: { key: request.version.key } } };
    });
    thread.worker.postMessage(requests);
  }

  private start(slot: number): RenderThread {
    const worker = new Worker(new URL('./message-render.worker.mjs', import.meta.url), {
      workerData: this.settings,
      resourceLimits: { maxOldGenerationSizeMb: this.config.EMAIL_RENDER_THREAD_HEAP_MB },
    });
    const thread: RenderThread = { worker, pending: new Map(), versions: new Set() };
    worker.on('message', (replies: RenderReply[]) => {
      const again: { id: number; pending: Pending }[] = [];
      for (const reply of replies) {
        const waiting = thread.pending.get(reply.id);
        if (!waiting) continue;
        thread.pending.delete(reply.id);
        if ('versionUnknown' in reply) {
          thread.versions.delete(waiting.request.version.key);
          again.push({ id: reply.id, pending: waiting });
        } else if ('raw' in reply) waiting.resolve({ raw: reply.raw, links: reply.links });
        else if ('composeError' in reply) waiting.reject(new ComposeError(reply.composeError.part, reply.composeError.message, reply.composeError.timedOut));
        else waiting.reject(new Error(`render thread: ${reply.error}`));
      }
      if (again.length > 0) this.post(thread, again);
      else if (thread.pending.size === 0) worker.unref();
    });
    const lost = (reason: string) => {
      if (this.threads[slot] !== thread) return;
      this.threads[slot] = undefined;
      for (const waiting of thread.pending.values()) waiting.reject(new RenderThreadStopped(`render thread stopped: ${reason}`));
      thread.pending.clear();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    worker.unref();
    return (this.threads[slot] = thread);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const running = this.threads.filter((thread) => thread !== undefined);
    this.threads.fill(undefined);
    await Promise.all(
      running.map(async (thread) => {
        await thread.worker.terminate();
        for (const waiting of thread.pending.values()) waiting.reject(new RenderThreadStopped('render threads stopped: shutdown'));
        thread.pending.clear();
      }),
    );
  }
}
