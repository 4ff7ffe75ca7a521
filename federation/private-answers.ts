/**
 * Answers that must not be kept by a shared cache whoever asked: closed
 * content (objects and replies of posts not everyone may read, collections
 * of a closed or secret group, the network of an account that hides it).
 * A dispatcher marks its request; the middleware (middleware.ts) then sends
 * `Cache-Control: private, no-store`, as for every signed request. An
 * unsigned request gets only what anyone may see, but a collection of
 * closed content is closed all the same (and its totals change with every
 * membership change).
 */
const marked = new WeakSet<Request>();

export function markPrivate(request: Request): void {
  marked.add(request);
}

export function isMarkedPrivate(request: Request): boolean {
  return marked.has(request);
}
