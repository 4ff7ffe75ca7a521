import { AsyncLocalStorage } from "node:async_hooks";

/**
 * How many remote fetches one inbound request may cause.
 *
 * Fedify expands an inbox body's JSON-LD and fetches the signer's key before
 * it knows who sent it, and jsonld's own limit (10 context URLs) holds per
 * resolution, not per document: 200 embedded objects with a context URL each
 * made 200 fetches. Every fetch our loaders make (federation/loader.ts, which
 * Fedify's loaders are too) spends one unit of the budget of the request it
 * runs for; the middleware gives each request handed to Fedify its own.
 * Fetches outside any request (queue workers, the API's lookups) are not
 * counted here: they have their own caps.
 */
interface FetchBudget {
  readonly limit: number;
  spent: number;
}

const budgets = new AsyncLocalStorage<FetchBudget>();

/** Runs `fn` with a budget of `limit` remote fetches for everything it causes. */
export function withFetchBudget<T>(limit: number, fn: () => T): T {
  return budgets.run({ limit, spent: 0 }, fn);
}

/** Runs `fn` outside any budget (work that is not the inbound request's, e.g. Hono routes Fedify falls through to). */
export function withoutFetchBudget<T>(fn: () => T): T {
  return budgets.exit(fn);
}

/** Spends one fetch; returns the exhausted limit when none is left, else null. */
export function spendFetch(): number | null {
  const budget = budgets.getStore();
  if (!budget) return null;
  if (budget.spent >= budget.limit) return budget.limit;
  budget.spent++;
  return null;
}
