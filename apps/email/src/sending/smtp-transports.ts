import { Worker } from 'node:worker_threads';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { SendingProfile } from './sender-settings.service.js';

/** A message built whole (`mime-message.ts`): its envelope and bytes. */
export interface RawMessage {
  from: string;
  to: string;
  messageId: string;
  raw: Uint8Array;
}

/** A message nodemailer composes (test sends): its `sendMail` options, plain data. */
export type ComposedMail = Record<string, unknown>;

/** What the SMTP server answered. */
export interface SmtpAccepted {
  response?: string;
}

/** An SMTP failure as nodemailer reported it (the fields `smtp-outcome.ts` reads). */
export class SmtpSendError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  rejected?: string[];

  constructor(fields: { message: string; code?: string; responseCode?: number; response?: string; command?: string; rejected?: string[] }) {
    super(fields.message);
    Object.assign(this, fields);
  }
}

type Result = { id: number; response?: string; error?: ConstructorParameters<typeof SmtpSendError>[0] };
type Reply = { type: 'closed' } | { type: 'results'; results: Result[] };

/** What the thread needs of a project's pool (the same object for every send while the settings stay, so a batch clones it once). */
interface PoolSettings {
  projectId: string;
  revision: string;
  smtpUrl: string;
  maxConnections: number;
}

/**
 * The projects' pooled nodemailer transports (one pool per project: its SMTP server and pool size,
 * rebuilt when its settings change), run in one worker thread (`smtp-thread.worker.mjs`): sends
 * are handed over with their bytes and come back as the server's answer or its error. The SMTP
 * work then overlaps the dispatcher's rendering and queries. The thread starts with the first send
 * and is started again if it ever dies (its sends in flight fail as a lost connection: deferred).
 */
@Injectable()
export class SmtpTransports implements OnApplicationShutdown {
  private worker?: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(info: SmtpAccepted): void; reject(error: Error): void }>();
  private readonly pools = new Map<string, PoolSettings>();
  /** Requests of this tick, posted together (one postMessage per tick, not per send), with the buffers they transfer. */
  private outgoing?: { worker: Worker; requests: Record<string, unknown>[]; transfer: ArrayBuffer[] };

  /**
   * Sends a message built whole through the project's pool. `transfer`: the bytes' ArrayBuffer
   * (the message's own, not a slice of a shared one) moves to the thread, no copy; the caller's
   * `raw` is empty afterwards. Otherwise it is copied (a few KiB) and stays the caller's.
   */
  sendRaw(projectId: string, profile: SendingProfile & { smtpUrl: string }, message: RawMessage, { transfer = false }: { transfer?: boolean } = {}): Promise<SmtpAccepted> {
    return this.request({ type: 'raw', pool: this.poolOf(projectId, profile), message }, transfer ? [message.raw.buffer as ArrayBuffer] : []);
  }

  /** Sends a message nodemailer composes from `mail` (its sendMail options) through the project's pool. */
  sendMail(projectId: string, profile: SendingProfile & { smtpUrl: string }, mail: ComposedMail): Promise<SmtpAccepted> {
    return this.request({ type: 'mail', pool: this.poolOf(projectId, profile), mail });
  }

  private request(request: Record<string, unknown>, transferList: ArrayBuffer[] = []): Promise<SmtpAccepted> {
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Sends in flight keep the process alive (the thread alone does not).
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      if (!this.outgoing) {
        this.outgoing = { worker, requests: [], transfer: [] };
        setImmediate(() => this.flush());
      }
      this.outgoing.requests.push({ ...request, id });
      this.outgoing.transfer.push(...transferList);
    });
  }

  private flush(): void {
    const outgoing = this.outgoing;
    this.outgoing = undefined;
    // A thread that died meanwhile failed these sends already (`lost`).
    if (!outgoing || outgoing.worker !== this.worker) return;
    outgoing.worker.postMessage({ type: 'batch', requests: outgoing.requests }, outgoing.transfer);
  }

  private poolOf(projectId: string, profile: SendingProfile & { smtpUrl: string }): PoolSettings {
    const revision = `${profile.revision}|${profile.smtpUrl}|${profile.maxConnections}`;
    const held = this.pools.get(projectId);
    if (held?.revision === revision) return held;
    const pool = { projectId, revision, smtpUrl: profile.smtpUrl, maxConnections: profile.maxConnections };
    if (this.pools.size >= 1000) this.pools.clear();
    this.pools.set(projectId, pool);
    return pool;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./smtp-thread.worker.mjs', import.meta.url));
    worker.on('message', (reply: Reply) => {
      if (reply.type !== 'results') return;
      for (const result of reply.results) {
        const waiting = this.pending.get(result.id);
        this.pending.delete(result.id);
        if (result.error) waiting?.reject(new SmtpSendError(result.error));
        else waiting?.resolve({ response: result.response });
      }
      if (this.pending.size === 0) worker.unref();
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(new SmtpSendError({ message: `SMTP thread stopped: ${reason}`, code: 'ECONNECTION' }));
      this.pending.clear();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    worker.unref();
    return (this.worker = worker);
  }

  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    await new Promise<void>((resolve) => {
      worker.on('message', (reply: Reply) => reply.type === 'closed' && resolve());
      worker.on('exit', () => resolve());
      worker.postMessage({ type: 'close' });
    });
    await worker.terminate();
    // Whatever the closed pools did not answer (a test send at shutdown) fails rather than waits forever.
    for (const waiting of this.pending.values()) waiting.reject(new SmtpSendError({ message: 'SMTP thread stopped: shutdown', code: 'ECONNECTION' }));
    this.pending.clear();
  }
}
