/**
 * Writes that arrive within a few milliseconds of each other go to the
 * database as one statement: handled queue messages, delivery records. Each
 * caller's promise settles when the statement holding its item has run, so a
 * caller still waits for its own write, as it would alone.
 */
export class WriteBatch<T> {
  readonly #write: (items: T[]) => Promise<void>;
  readonly #max: number;
  readonly #waitMs: number;
  #items: T[] = [];
  #waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(write: (items: T[]) => Promise<void>, options: { max: number; waitMs: number }) {
    this.#write = write;
    this.#max = options.max;
    this.#waitMs = options.waitMs;
  }

  add(item: T): Promise<void> {
    this.#items.push(item);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#items.length >= this.#max) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#waitMs);
    return done;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = this.#items.splice(0);
    const waiters = this.#waiters.splice(0);
    if (items.length === 0) return;
    this.#write(items).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => waiters.forEach((w) => w.reject(error)),
    );
  }
}
