/**
 * Failed sign-ins per IP address and per account, counted in this process
 * only (a cache: several web processes each allow this many). After
 * MAX_PER_ACCOUNT failures for one account, or MAX_PER_ADDRESS from one
 * address, in WINDOW_MS, sign-in attempts get a 429 until the window ends.
 */
export const WINDOW_MS = 15 * 60 * 1000;
export const MAX_PER_ACCOUNT = 5;
export const MAX_PER_ADDRESS = 20;
const MAX_ENTRIES = 100_000;

interface Entry {
  failures: number;
  resetAt: number;
}

export class SignInThrottle {
  readonly #entries = new Map<string, Entry>();

  #get(key: string, now: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && e.resetAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Seconds until the next attempt is allowed, or 0 when it is. */
  retryAfter(account: string, address: string, now = Date.now()): number {
    const a = this.#get(`a:${account}`, now);
    const i = this.#get(`i:${address}`, now);
    const waits = [
      a && a.failures >= MAX_PER_ACCOUNT ? a.resetAt - now : 0,
      i && i.failures >= MAX_PER_ADDRESS ? i.resetAt - now : 0,
    ];
    return Math.ceil(Math.max(...waits) / 1000);
  }

  fail(account: string, address: string, now = Date.now()): void {
    if (this.#entries.size > MAX_ENTRIES) this.#prune(now);
    for (const key of [`a:${account}`, `i:${address}`]) {
      const e = this.#get(key, now);
      if (e) e.failures++;
      else this.#entries.set(key, { failures: 1, resetAt: now + WINDOW_MS });
    }
  }

  succeed(account: string): void {
    this.#entries.delete(`a:${account}`);
  }

  #prune(now: number): void {
    for (const [key, e] of this.#entries) if (e.resetAt <= now) this.#entries.delete(key);
    // Still full (an attack from very many addresses): forget the oldest.
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= MAX_ENTRIES / 2) break;
      this.#entries.delete(key);
    }
  }
}
