/**
 * Counts the requests whose handlers are still running. A client that hangs
 * up does not stop its handler, and the listener closes once the connection
 * is gone: shutdown waits for the handlers too before the database closes
 * under them.
 */
export class InFlight {
  #count = 0;
  #waiting: Array<() => void> = [];

  get count(): number {
    return this.#count;
  }

  track<T>(work: T | Promise<T>): Promise<T> {
    this.#count++;
    return Promise.resolve(work).finally(() => {
      if (--this.#count === 0) for (const resolve of this.#waiting.splice(0)) resolve();
    });
  }

  /** Resolves true once no handler runs, false if some still run at the deadline. */
  idle(deadlineMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), deadlineMs);
      this.#waiting.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
