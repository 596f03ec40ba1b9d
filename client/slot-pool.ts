/**
 * A counting semaphore: at most `size` pieces of work at once, across everything that shares it.
 * `uploadMany` runs every file's parts through one, so its `concurrency` counts PUTs in flight for
 * the whole set — a large file and many small ones share the link instead of each taking `size`.
 */
export class SlotPool {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  /** Runs `work` once a slot is free; the slot is given back however `work` ends. */
  readonly run = async <T>(work: () => Promise<T>): Promise<T> => {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
      if (next) next();
      else this.free++;
    }
  };
}
