/**
 * Runs the tasks given for one key one after the other, in call order; a task that fails does
 * not stop the next. Keys with nothing queued are forgotten.
 */
export class OneAtATime<K = string> {
  private readonly tails = new Map<K, Promise<unknown>>();

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(task);
    this.tails.set(key, run);
    void run
      .catch(() => undefined)
      .finally(() => {
        if (this.tails.get(key) === run) this.tails.delete(key);
      });
    return run;
  }

  /** Settles once everything queued for `key` so far has run. */
  async idle(key: K): Promise<void> {
    await this.tails.get(key)?.catch(() => undefined);
  }
}
