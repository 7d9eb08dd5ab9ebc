/**
 * Calls made while a batch is being handled wait and go together in the next batch: one
 * `handle(items)` (a round trip, a commit) for many callers. Each caller gets its own item's
 * result. When a batch fails, its items are handled one by one, so one bad item fails alone.
 */
export class CoalescedCalls<Item, Result> {
  private queue: { item: Item; resolve(result: Result): void; reject(error: unknown): void }[] = [];
  private running = false;

  /**
   * `handle` returns one result per item, in order. With `lingerMs`, the first batch after a quiet
   * spell waits that long (or until `maxBatch` items are waiting) for more callers: for calls that
   * arrive spread out (results of sends finishing one by one) and need no answer soon.
   */
  constructor(
    private readonly handle: (items: Item[]) => Promise<Result[]>,
    private readonly options: { lingerMs?: number; maxBatch?: number } = {},
  ) {}

  private lingering?: NodeJS.Timeout;

  call(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.lingering && this.queue.length >= (this.options.maxBatch ?? Infinity)) {
        clearTimeout(this.lingering);
        this.lingering = undefined;
        void this.flush();
      } else if (!this.running) {
        this.running = true;
        // The callers of this tick (or of the linger) join the first batch.
        if (this.options.lingerMs) this.lingering = setTimeout(() => ((this.lingering = undefined), void this.flush()), this.options.lingerMs);
        else setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const results = await this.handle(batch.map((entry) => entry.item));
        batch.forEach((entry, n) => entry.resolve(results[n]!));
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        else
          for (const entry of batch)
            await this.handle([entry.item]).then(
              ([result]) => entry.resolve(result!),
              (failure: unknown) => entry.reject(failure),
            );
      }
    }
    this.running = false;
  }
}
