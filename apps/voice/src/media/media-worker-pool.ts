import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { LOGGER, type Logger } from '@boomerang/platform/subgraph';
import { VOICE_CONFIG, type VoiceConfig } from '../voice-config.js';

export type MediaWorkerSettings = Pick<VoiceConfig, 'VOICE_MEDIA_WORKERS' | 'VOICE_MEDIA_LOG_LEVEL'>;

export interface WorkerLoad {
  workerPid: number;
  routers: number;
  transports: number;
  /** Share of one core the worker used over the last sampling interval (0..1); absent until sampled. */
  cpu?: number;
}

interface WorkerSlot {
  readonly worker: types.Worker;
  routers: number;
  transports: number;
  cpu?: number;
  lastCpuSample?: { atMs: number; cpuMs: number };
}

const CPU_SAMPLE_INTERVAL_MS = 2_000;
const RESPAWN_DELAY_MS = 1_000;

/** Orders workers by routers, then transports: the first is the least loaded. */
export function leastLoaded<T extends { routers: number; transports: number }>(slots: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const slot of slots) {
    if (!best || slot.routers < best.routers || (slot.routers === best.routers && slot.transports < best.transports)) {
      best = slot;
    }
  }
  return best;
}

/**
 * The mediasoup worker processes of this voice instance. Started on first use (so schema printing
 * and tests that never place a call spawn nothing); a worker that dies is replaced.
 */
@Injectable()
export class MediaWorkerPool implements OnApplicationShutdown {
  private readonly slots: WorkerSlot[] = [];
  private starting?: Promise<void>;
  private closed = false;
  private cpuTimer?: NodeJS.Timeout;
  private readonly respawnTimers = new Set<NodeJS.Timeout>();

  constructor(
    @Inject(VOICE_CONFIG) private readonly settings: MediaWorkerSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Spawns the configured number of workers (once; later calls wait for the same start). */
  start(): Promise<void> {
    this.starting ??= (async () => {
      const spawned = await Promise.allSettled(Array.from({ length: this.settings.VOICE_MEDIA_WORKERS }, () => this.spawn()));
      const failure = spawned.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure) {
        this.starting = undefined;
        for (const slot of this.slots.splice(0)) slot.worker.close();
        throw new Error(`mediasoup worker could not start (${mediasoup.workerBin}): ${(failure.reason as Error).message}`);
      }
      this.cpuTimer = setInterval(() => void this.sampleCpu(), CPU_SAMPLE_INTERVAL_MS).unref();
    })();
    return this.starting;
  }

  /** A new router on the worker with the fewest routers (then transports). */
  async createRouter(options: types.RouterOptions): Promise<{ router: types.Router; workerPid: number }> {
    if (this.closed) throw new Error('the media worker pool is closed');
    await this.start();
    const slot = leastLoaded(this.slots);
    if (!slot) throw new Error('no mediasoup worker is running');
    // Counted before the await so concurrent calls spread instead of piling onto the same worker.
    slot.routers += 1;
    let router: types.Router;
    try {
      router = await slot.worker.createRouter(options);
    } catch (error) {
      slot.routers -= 1;
      throw error;
    }
    router.observer.on('close', () => {
      slot.routers -= 1;
    });
    router.observer.on('newtransport', (transport) => {
      slot.transports += 1;
      transport.observer.on('close', () => {
        slot.transports -= 1;
      });
    });
    return { router, workerPid: slot.worker.pid };
  }

  load(): WorkerLoad[] {
    return this.slots.map((slot) => ({
      workerPid: slot.worker.pid,
      routers: slot.routers,
      transports: slot.transports,
      ...(slot.cpu === undefined ? {} : { cpu: slot.cpu }),
    }));
  }

  /** The running workers (tests and the capacity bench inspect or kill them). */
  workers(): types.Worker[] {
    return this.slots.map((slot) => slot.worker);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.cpuTimer);
    for (const timer of this.respawnTimers) clearTimeout(timer);
    this.respawnTimers.clear();
    for (const slot of this.slots.splice(0)) slot.worker.close();
  }

  onApplicationShutdown(): void {
    this.close();
  }

  private async spawn(): Promise<void> {
    const worker = await mediasoup.createWorker({ logLevel: this.settings.VOICE_MEDIA_LOG_LEVEL });
    if (this.closed) {
      worker.close();
      return;
    }
    const slot: WorkerSlot = { worker, routers: 0, transports: 0 };
    this.slots.push(slot);
    worker.on('died', (error) => {
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.logger.error({ workerPid: worker.pid, err: error }, 'mediasoup worker died; replacing it');
      this.respawn();
    });
  }

  private respawn(): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      this.spawn().catch((error: unknown) => {
        this.logger.error({ err: error }, 'mediasoup worker could not be replaced; retrying');
        this.respawn();
      });
    }, RESPAWN_DELAY_MS);
    this.respawnTimers.add(timer);
  }

  private async sampleCpu(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        const usage = await slot.worker.getResourceUsage().catch(() => undefined);
        if (!usage) return;
        const sample = { atMs: performance.now(), cpuMs: usage.ru_utime + usage.ru_stime };
        if (slot.lastCpuSample) {
          slot.cpu = (sample.cpuMs - slot.lastCpuSample.cpuMs) / (sample.atMs - slot.lastCpuSample.atMs);
        }
        slot.lastCpuSample = sample;
      }),
    );
  }
}
