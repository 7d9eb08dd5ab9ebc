/**
 * Calls made while a batch is being handled wait and go together in the next batch: one
 * `handle(items)` (a round trip, a commit) for many callers. Each caller gets its own item's
 * result. When a batch fails, its items are handled one by one, so one bad item fails alone.
 */
export class CoalescedCalls<Item, Result> {
  private queue: { item: Item; resolve(result: Result): void; reject(error: unknown): void }[] = [];
  private running = false;

  /** `handle` returns one result per item, in order. */
  constructor(private readonly handle: (items: Item[]) => Promise<Result[]>) {}

  call(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // The callers of this tick join the first batch.
        setImmediate(() => void this.flush());
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
