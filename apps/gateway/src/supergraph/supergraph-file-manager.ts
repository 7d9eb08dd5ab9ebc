import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { dirname, basename } from 'node:path';
import type { SupergraphManager } from '@apollo/gateway';
import type { Logger } from '@boomerang/platform/observability';

type Initialize = SupergraphManager['initialize'];
type UpdateOptions = Parameters<Initialize>[0];

/**
 * Serves the composed supergraph from a file and hands the gateway a new one when the file
 * changes. Updates are keyed by a hash of the content, so rewriting the same supergraph is a
 * no-op for the gateway (its query-plan cache is kept).
 */
export class SupergraphFileManager implements SupergraphManager {
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private lastHash?: string;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** The hash the gateway uses as composition id. */
  static compositionId(sdl: string): string {
    return createHash('sha256').update(sdl).digest('hex');
  }

  async initialize({ update, healthCheck }: UpdateOptions) {
    const supergraphSdl = await this.read();
    this.lastHash = SupergraphFileManager.compositionId(supergraphSdl);
    // Watch the directory: editors and `schema:compose` replace the file rather than write in place.
    this.watcher = watch(dirname(this.path), (_event, file) => {
      if (file && file.toString() !== basename(this.path)) return;
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload(update, healthCheck), 100);
    });
    return { supergraphSdl, cleanup: async () => this.stop() };
  }

  private async reload(update: UpdateOptions['update'], healthCheck: UpdateOptions['healthCheck']): Promise<void> {
    try {
      const sdl = await this.read();
      const hash = SupergraphFileManager.compositionId(sdl);
      if (hash === this.lastHash) return;
      await healthCheck(sdl).catch((error: Error) => this.logger.warn({ err: error }, 'subgraph health check failed for the new supergraph; loading it anyway'));
      update(sdl);
      this.lastHash = hash;
      this.logger.info({ compositionId: hash.slice(0, 12) }, 'supergraph reloaded');
    } catch (error) {
      this.logger.error({ err: error }, 'supergraph reload failed; keeping the current one');
    }
  }

  private async read(): Promise<string> {
    return readFile(this.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new Error(`No supergraph at ${this.path}: run "npm run schema:compose" or set SUPERGRAPH_PATH`);
      throw error;
    });
  }

  private stop(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
  }
}
