import { FixedWindows } from "../../http/rate-limit.ts";

/**
 * Failed sign-ins per IP address and per account, counted in this process
 * only (a cache: several web processes each allow this many). After
 * MAX_PER_ACCOUNT failures for one account, or MAX_PER_ADDRESS from one
 * address, in WINDOW_MS, sign-in attempts get a 429 until the window ends.
 */
export const WINDOW_MS = 15 * 60 * 1000;
export const MAX_PER_ACCOUNT = 5;
export const MAX_PER_ADDRESS = 20;

/** Failures are counted in fixed windows, like the API's rate limits (src/http/rate-limit.ts). */
export class SignInThrottle {
  readonly #windows = new FixedWindows();

  /** Seconds until the next attempt is allowed, or 0 when it is. */
  retryAfter(account: string, address: string, now = Date.now()): number {
    const a = this.#windows.peek(`a:${account}`, now);
    const i = this.#windows.peek(`i:${address}`, now);
    const waits = [
      a && a.count >= MAX_PER_ACCOUNT ? a.resetAt - now : 0,
      i && i.count >= MAX_PER_ADDRESS ? i.resetAt - now : 0,
    ];
    return Math.ceil(Math.max(...waits) / 1000);
  }

  fail(account: string, address: string, now = Date.now()): void {
    this.#windows.hit(`a:${account}`, WINDOW_MS, now);
    this.#windows.hit(`i:${address}`, WINDOW_MS, now);
  }

  succeed(account: string): void {
    this.#windows.reset(`a:${account}`);
  }
}
